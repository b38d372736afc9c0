using Images.Application.Common;
using Images.Application.Images.Process;
using Images.Application.Images.Recover;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Queue;

/// <summary>
/// Drains the in-process queue with IMG_PROCESSING_MAX_WORKERS consumers, and every
/// <see cref="RecoveryInterval"/> re-queues pending images and releases stale processing ones.
/// </summary>
public sealed partial class InProcessProcessingService(
    InProcessProcessingQueue queue,
    IServiceScopeFactory scopes,
    IOptions<ProcessingOptions> options,
    TimeProvider clock,
    ILogger<InProcessProcessingService> logger) : BackgroundService
{
    public static readonly TimeSpan RecoveryInterval = TimeSpan.FromSeconds(30);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var consumers = Enumerable.Range(0, options.Value.MaxWorkers).Select(_ => ConsumeAsync(stoppingToken));
        return Task.WhenAll([.. consumers, RecoverAsync(stoppingToken)]);
    }

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

    private async Task RecoverAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RecoveryInterval, clock);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var queued = await scope.ServiceProvider.GetRequiredService<RecoverImagesHandler>().HandleAsync(stoppingToken);
                if (queued > 0)
                {
                    LogRecovered(queued);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Recovery runs again on the next tick.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogRecoveryError(ex);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Background processing of image {ImageId} failed; recovery will retry it")]
    private partial void LogProcessingError(Exception exception, Guid imageId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recovery queued {Count} pending images")]
    private partial void LogRecovered(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recovery of pending images failed")]
    private partial void LogRecoveryError(Exception exception);
}
