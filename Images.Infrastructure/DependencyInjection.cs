using Images.Application;
using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Infrastructure.Configuration;
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

        services.AddDbContextPool<ImagesDbContext>((sp, options) =>
            options.UseImagesDatabase(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString));
        services.AddHealthChecks().AddDbContextCheck<ImagesDbContext>("database", tags: ["ready"]);

        services.AddSingleton<FileSystemBlobStore>();
        services.AddSingleton<IBlobStore>(sp => sp.GetRequiredService<FileSystemBlobStore>());
        services.AddSingleton<IImageProcessor, ImageSharpImageProcessor>();
        services.AddScoped<IImageRepository, ImageRepository>();
        return builder;
    }

    /// <summary>In-process processing (broker disabled), recovery of pending images and scheduled upkeep.</summary>
    public static IHostApplicationBuilder AddBackgroundProcessing(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<InProcessProcessingQueue>();
        builder.Services.AddSingleton<IProcessingQueue>(sp => sp.GetRequiredService<InProcessProcessingQueue>());
        builder.Services.AddHostedService<InProcessProcessingService>();
        builder.Services.AddHostedService<ScheduledMaintenanceService>();
        return builder;
    }
}
