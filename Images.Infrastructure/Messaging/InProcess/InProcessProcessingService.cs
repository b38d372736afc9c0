using Images.Application.Common;
using Images.Application.Images.Process;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Messaging.InProcess;

/// <summary>
/// Drains the in-process queue with IMG_PROCESSING_MAX_WORKERS consumers (IMG_BROKER_ENABLED=false).
/// </summary>
public sealed partial class InProcessProcessingService(
    InProcessChannel queue,
    IServiceScopeFactory scopes,
    IOptions<ProcessingOptions> options,
    ILogger<InProcessProcessingService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Value.MaxWorkers).Select(_ => ConsumeAsync(stoppingToken)));

    private async Task ConsumeAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var id in queue.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    await scope.ServiceProvider.GetRequiredService<ProcessImageHandler>().HandleAsync(id, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // A failure with one image (say, the database briefly away) must not stop the consumer.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogProcessingError(ex, id);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Background processing of image {ImageId} failed; recovery will retry it")]
    private partial void LogProcessingError(Exception exception, Guid imageId);

}
