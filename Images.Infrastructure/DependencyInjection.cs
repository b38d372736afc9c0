using Amazon.S3;
using Images.Application.Abstractions;
using Images.Application.Common.Settings;
using Images.Infrastructure.Events;
using Images.Infrastructure.Maintenance;
using Images.Infrastructure.Messaging.InProcess;
using Images.Infrastructure.Messaging.Kafka;
using Images.Infrastructure.Persistence;
using Images.Infrastructure.Processing;
using Images.Infrastructure.Storage;
using Images.Infrastructure.Storage.S3;
using Images.Infrastructure.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure;

/// <summary>
/// The adapters, one method per concern, so that each host composes what it uses and says so in
/// its Program.cs (the Api everything, the Worker the consumer side, the MigrationService the
/// database alone).
/// </summary>
public static class DependencyInjection
{
    /// <summary>
    /// The database alone: its settings, and the DbContext through Aspire's Npgsql EF Core
    /// integration (pooling, logging, tracing and metrics). The connection string is Aspire's when
    /// it injects one, else the seed's IMG_DB_* (NFR-2), with IMG_DB_POOL_SIZE + IMG_DB_MAX_OVERFLOW
    /// connections at most. EF's retrying strategy is off: use cases run explicit transactions, and
    /// a database that is away is answered 503 or waited out by processing (ADR 7). The health
    /// check is the service's own "database" entry, which /health reports.
    /// </summary>
    public static IHostApplicationBuilder AddImagesDatabase(this IHostApplicationBuilder builder)
    {
        builder.Services.AddImgOptions<DatabaseOptions>();
        var database = ImgSettings.Read<DatabaseOptions>(builder.Configuration);
        builder.AddNpgsqlDbContext<ImagesDbContext>(
            DatabaseOptions.ConnectionStringName,
            settings =>
            {
                settings.ConnectionString = database.ConnectionString;
                settings.DisableRetry = true;
                settings.DisableHealthChecks = true;
            },
            options => options.UseImagesDatabase());
        builder.Services.AddHealthChecks().AddDbContextCheck<ImagesDbContext>("database", tags: ["ready"]);
        return builder;
    }

    /// <summary>
    /// PostgreSQL persistence (NFR-1 adapters of the repository, unit-of-work and lease ports). The
    /// repository places originals in the blob store under the hash's lock: add the blob store too.
    /// </summary>
    public static IHostApplicationBuilder AddPersistence(this IHostApplicationBuilder builder)
    {
        builder.AddImagesDatabase();
        var services = builder.Services;
        services.AddScoped<IUnitOfWork, EfUnitOfWork>();
        services.AddScoped<IImageRepository, ImageRepository>();
        services.AddScoped<IIdempotencyStore, IdempotencyStore>();
        services.AddSingleton<IProcessingLeases, ProcessingLeases>();
        // Every writer of image state records its webhook events in its own transaction (FR-10.2).
        services.AddSingleton<WebhookSignal>();
        services.AddScoped<IWebhookOutbox, WebhookOutbox>();
        // The event log's reading port (FR-12.1): a use case of every host that registers the use
        // cases; only the Api adds the LISTEN connection that wakes its streams.
        services.AddSingleton<ImageEventSignal>();
        services.AddScoped<IImageEventLog, ImageEventLog>();
        services.AddScoped<IImageStatistics, ImageStatistics>();
        return builder;
    }

    /// <summary>
    /// Webhooks (FR-10): the subscriptions' store, the SSRF guard and the HTTP sender, the ports of
    /// the webhook use cases (every host that registers the use cases registers them; the events
    /// themselves are written by <see cref="AddPersistence"/>'s outbox adapter).
    /// </summary>
    public static IHostApplicationBuilder AddWebhooks(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddScoped<IWebhookStore, WebhookStore>();
        services.AddSingleton<TargetAddressPolicy>();
        services.AddSingleton<IWebhookTargetPolicy>(sp => sp.GetRequiredService<TargetAddressPolicy>());
        services.AddSingleton<HttpWebhookSender>();
        services.AddSingleton<IWebhookSender>(sp => sp.GetRequiredService<HttpWebhookSender>());
        return builder;
    }

    /// <summary>
    /// The webhook dispatcher (FR-10.2, ADR 13): the Api's; replicas split the due deliveries with
    /// SKIP LOCKED. Workers write events but send none.
    /// </summary>
    public static IHostApplicationBuilder AddWebhookDispatcher(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<WebhookDispatcher>();
        return builder;
    }

    /// <summary>
    /// The event stream's LISTEN connection (FR-12.1, ADR 16) that wakes this process's streams when
    /// any process commits an event. The Api's; the log itself comes with <see cref="AddPersistence"/>,
    /// and every writer appends through its outbox.
    /// </summary>
    public static IHostApplicationBuilder AddImageEvents(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddHostedService<ImageEventListener>();
        return builder;
    }

    /// <summary>
    /// The content-addressed blob store (FR-1.7), chosen here once from IMG_STORAGE_BACKEND
    /// (FR-11.1): a (shared) file system, or an S3-compatible object store (ADR 11). Exactly one is
    /// registered, as the port and as the repository's placement of originals.
    /// </summary>
    public static IHostApplicationBuilder AddBlobStorage(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddImgOptions<StorageOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<StorageTelemetry>();
        if (ImgSettings.Read<StorageOptions>(builder.Configuration).Backend == StorageOptions.S3)
        {
            services.AddImgOptions<S3StorageOptions>();
            services.AddSingleton<IAmazonS3>(sp => S3ClientFactory.Create(sp.GetRequiredService<IOptions<S3StorageOptions>>().Value));
            services.AddSingleton<S3BlobStore>();
            services.AddSingleton<IBlobStore>(sp => sp.GetRequiredService<S3BlobStore>());
            services.AddSingleton<IOriginalStore>(sp => sp.GetRequiredService<S3BlobStore>());
            // ReconciliationOptions (the grace of its staging clean-up) come with AddApplication.
            services.AddHostedService<S3StoreStartup>();
        }
        else
        {
            services.AddSingleton<FileSystemBlobStore>();
            services.AddSingleton<IBlobStore>(sp => sp.GetRequiredService<FileSystemBlobStore>());
            services.AddSingleton<IOriginalStore>(sp => sp.GetRequiredService<FileSystemBlobStore>());
        }

        return builder;
    }

    /// <summary>
    /// Image processing (NFR-4): the native fast path where it loads and is not switched off,
    /// ImageSharp otherwise; one start-up line and a health entry say which is active.
    /// </summary>
    public static IHostApplicationBuilder AddImageProcessing(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddImgOptions<NativeProcessingOptions>();
        services.AddSingleton<ImageSharpImageProcessor>();
        services.AddSingleton<NativeImageProcessor>();
        services.AddSingleton<CompositeImageProcessor>();
        services.AddSingleton<IImageProcessor>(sp => sp.GetRequiredService<CompositeImageProcessor>());
        services.AddSingleton<IImageAnalyser, Insight.ImageAnalyser>();
        services.AddHostedService<ProcessorReport>();
        services.AddHealthChecks().AddCheck<ProcessorHealthCheck>("image-processor");
        return builder;
    }

    /// <summary>
    /// The processing transport, chosen here once from IMG_BROKER_ENABLED (FR-2.7): in-process, a
    /// bounded queue drained by this process's workers; or Kafka, the transactional outbox and its
    /// relay, for Workers to consume. Exactly one is registered.
    /// </summary>
    public static IHostApplicationBuilder AddProcessingQueue(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddImgOptions<BrokerOptions>();
        var broker = ImgSettings.Read<BrokerOptions>(builder.Configuration);
        if (broker.Enabled)
        {
            services.AddOutbox(broker.Volatile ? ProcessingTransport.VolatileKafka : ProcessingTransport.Kafka);
            services.AddHostedService<OutboxRelay>();
        }
        else
        {
            services.AddSingleton(ProcessingTransport.InProcess);
            services.AddSingleton<InProcessChannel>();
            services.AddScoped<IProcessingQueue, InProcessProcessingQueue>();
            services.AddHostedService<InProcessProcessingService>();
        }

        return builder;
    }

    /// <summary>
    /// The Worker (FR-2.7): Kafka consumers in one group. Its own requeues (recovery) go through
    /// the outbox, which the Api's relay publishes.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaConsumer(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddImgOptions<BrokerOptions>();
        services.AddOptions<BrokerOptions>().Validate(o => o.Enabled, "The Worker consumes Kafka: set IMG_BROKER_ENABLED=true.").ValidateOnStart();
        // A volatile broker's tasks are queued again by the Api when it starts (they restart
        // together); a Worker that starts beside a running broker must not queue them twice.
        services.AddOutbox(ProcessingTransport.Kafka);
        services.AddHostedService<KafkaProcessingConsumer>();
        return builder;
    }

    /// <summary>Recovery (NFR-9): lapsed leases reclaimed, pending images queued again, on the registered transport.</summary>
    public static IHostApplicationBuilder AddRecovery(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<ImageRecoveryService>();
        return builder;
    }

    /// <summary>
    /// The Api's upkeep: retention sweeps on a schedule (FR-4.5), reconciliation of storage with
    /// the database (NFR-9), compaction of the list's count deltas.
    /// </summary>
    public static IHostApplicationBuilder AddScheduledMaintenance(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<ScheduledMaintenanceService>();
        return builder;
    }

    private static void AddOutbox(this IServiceCollection services, ProcessingTransport transport)
    {
        services.AddSingleton(transport);
        services.AddSingleton<MessagingTelemetry>();
        services.AddSingleton<OutboxSignal>();
        services.AddScoped<IProcessingQueue, OutboxProcessingQueue>();
    }
}

/// <summary>
/// Which transport a host registered, as decided at composition. Recovery queues pending images
/// again at once in-process (the queue is empty after a restart), and only after a grace with
/// Kafka (whose backlog may hold a task a while), except at start-up with a broker that forgot
/// everything (the development broker).
/// </summary>
public sealed class ProcessingTransport
{
    public static readonly ProcessingTransport InProcess = new(durable: false, lostAtRestart: true);
    public static readonly ProcessingTransport Kafka = new(durable: true, lostAtRestart: false);
    public static readonly ProcessingTransport VolatileKafka = new(durable: true, lostAtRestart: true);

    private ProcessingTransport(bool durable, bool lostAtRestart)
    {
        Durable = durable;
        TasksLostAtRestart = lostAtRestart;
    }

    /// <summary>Whether a queued task outlives this process (Kafka) or only lives in it.</summary>
    public bool Durable { get; }

    /// <summary>Whether the queue may be empty after a restart, whatever was queued before it.</summary>
    public bool TasksLostAtRestart { get; }
}
