using Images.Application;
using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Infrastructure.Configuration;
using Images.Infrastructure.Messaging;
using Images.Infrastructure.Persistence;
using Images.Infrastructure.Processing;
using Images.Infrastructure.Queue;
using Images.Infrastructure.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure;

public static class DependencyInjection
{
    /// <summary>Settings, PostgreSQL, the blob store and the image processor: what every host needs.</summary>
    public static IHostApplicationBuilder AddInfrastructure(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddApplication();
        services.AddImgOptions<DatabaseOptions>(DatabaseOptions.Bind);
        services.AddImgOptions<StorageOptions>(StorageOptions.Bind);
        services.AddImgOptions<ProcessingOptions>(ApplicationOptionsBinding.BindProcessing);
        services.AddImgOptions<RetentionOptions>(ApplicationOptionsBinding.BindRetention);
        services.AddImgOptions<BrokerOptions>(BrokerOptions.Bind);
        services.AddSingleton<MessagingTelemetry>();

        services.AddDbContextPool<ImagesDbContext>((sp, options) =>
            options.UseImagesDatabase(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString));
        services.AddHealthChecks().AddDbContextCheck<ImagesDbContext>("database", tags: ["ready"]);

        services.AddSingleton<FileSystemBlobStore>();
        services.AddSingleton<IBlobStore>(sp => sp.GetRequiredService<FileSystemBlobStore>());
        services.AddImgOptions<NativeProcessingOptions>(NativeProcessingOptions.Bind);
        services.AddSingleton<ImageSharpImageProcessor>();
        services.AddSingleton<NativeImageProcessor>();
        services.AddSingleton<CompositeImageProcessor>();
        services.AddSingleton<IImageProcessor>(sp => sp.GetRequiredService<CompositeImageProcessor>());
        services.AddHostedService<ProcessorReport>();
        services.AddHealthChecks().AddCheck<ProcessorHealthCheck>("image-processor");
        services.AddScoped<IImageRepository, ImageRepository>();
        services.AddSingleton<IProcessingLeases, ProcessingLeases>();
        return builder;
    }

    /// <summary>
    /// The Api's side of processing: with IMG_BROKER_ENABLED=false an in-process queue and workers;
    /// with it true the transactional outbox and its relay to Kafka. Plus recovery and upkeep.
    /// </summary>
    public static IHostApplicationBuilder AddBackgroundProcessing(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<InProcessProcessingQueue>();
        services.AddSingleton<OutboxSignal>();
        services.AddScoped<OutboxProcessingQueue>();
        services.AddScoped<IProcessingQueue>(sp => sp.GetRequiredService<IOptions<BrokerOptions>>().Value.Enabled
            ? sp.GetRequiredService<OutboxProcessingQueue>()
            : sp.GetRequiredService<InProcessProcessingQueue>());
        services.AddHostedService<InProcessProcessingService>();
        services.AddHostedService<OutboxRelay>();
        services.AddHostedService<ImageRecoveryService>();
        services.AddHostedService<ScheduledMaintenanceService>();
        return builder;
    }

    /// <summary>The Worker: Kafka consumers in one group, and the reaper that re-queues stuck images.</summary>
    public static IHostApplicationBuilder AddKafkaWorker(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<BrokerOptions>().Validate(o => o.Enabled, "The Worker consumes Kafka: set IMG_BROKER_ENABLED=true.").ValidateOnStart();
        services.AddSingleton<OutboxSignal>();
        services.AddScoped<IProcessingQueue, OutboxProcessingQueue>();
        services.AddHostedService<KafkaProcessingConsumer>();
        services.AddHostedService<ImageRecoveryService>();
        return builder;
    }
}
