using Images.Application.Common;
using Images.Application.Common.Settings;
using Images.Application.Events.Stream;
using Images.Application.Images.BatchProcess;
using Images.Application.Images.Delete;
using Images.Application.Images.Download;
using Images.Application.Images.Get;
using Images.Application.Images.GetRendition;
using Images.Application.Images.List;
using Images.Application.Images.Process;
using Images.Application.Images.Stats;
using Images.Application.Images.Recover;
using Images.Application.Images.Similar;
using Images.Application.Images.Upload;
using Images.Application.Maintenance.Reconcile;
using Images.Application.Retention.Sweep;
using Images.Application.Webhooks;
using Images.Application.Webhooks.Dispatch;
using Images.Application.Webhooks.Query;
using Images.Application.Webhooks.Subscribe;
using Images.Application.Webhooks.Unsubscribe;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Images.Application;

public static class DependencyInjection
{
    /// <summary>The use cases and their settings. Their ports are registered by the infrastructure's Add* methods.</summary>
    public static IHostApplicationBuilder AddApplication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddApplication();
        return builder;
    }

    /// <summary>The same, on a bare service collection (the use-case tests, with fakes for the ports).</summary>
    public static IServiceCollection AddApplication(this IServiceCollection services)
    {
        services.AddImgOptions<ProcessingOptions>();
        services.AddImgOptions<UploadOptions>();
        services.AddImgOptions<RetentionOptions>();
        services.AddImgOptions<ReconciliationOptions>();
        services.AddImgOptions<WebhookOptions>();
        services.AddImgOptions<InsightOptions>();
        services.AddImgOptions<EventStreamOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ProcessingGate>();
        services.AddSingleton<ImagesMetrics>();
        services.AddSingleton<WebhookMetrics>();
        services.AddScoped<UploadImageHandler>();
        services.AddScoped<ProcessImageHandler>();
        services.AddScoped<BatchProcessImagesHandler>();
        services.AddScoped<GetImageHandler>();
        services.AddScoped<GetRenditionHandler>();
        services.AddScoped<ListImagesHandler>();
        services.AddScoped<FindSimilarImagesHandler>();
        services.AddScoped<DownloadImageHandler>();
        services.AddScoped<SweepExpiredImagesHandler>();
        services.AddScoped<DeleteImageHandler>();
        services.AddScoped<StreamEventsHandler>();
        services.AddScoped<GetStatsHandler>();
        services.AddScoped<RecoverImagesHandler>();
        services.AddScoped<ReconcileStorageHandler>();
        services.AddScoped<CreateSubscriptionHandler>();
        services.AddScoped<RotateSecretHandler>();
        services.AddScoped<ListSubscriptionsHandler>();
        services.AddScoped<GetSubscriptionHandler>();
        services.AddScoped<ListDeliveriesHandler>();
        services.AddScoped<DeleteSubscriptionHandler>();
        services.AddScoped<DispatchWebhooksHandler>();
        return services;
    }
}
