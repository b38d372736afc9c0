using Images.Application.Common;
using Images.Application.Images.Recover;
using Images.Infrastructure.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Queue;

/// <summary>
/// The reaper: every half processing timeout (at most 30 s) it releases images left in processing past
/// IMG_PROCESSING_TIMEOUT_SECONDS (a crashed worker) and queues pending images again: at once in
/// in-process mode (the queue is empty after a restart), after IMG_PROCESSING_REQUEUE_PENDING_SECONDS
/// with Kafka (whose backlog may hold a task for a while).
/// </summary>
public sealed partial class ImageRecoveryService(
    IServiceScopeFactory scopes,
    IOptions<ProcessingOptions> processing,
    IOptions<BrokerOptions> broker,
    TimeProvider clock,
    ILogger<ImageRecoveryService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var timeout = TimeSpan.FromSeconds(processing.Value.StaleAfterSeconds);
        var grace = broker.Value.Enabled ? TimeSpan.FromSeconds(processing.Value.RequeuePendingAfterSeconds) : TimeSpan.Zero;
        var period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 2, TimeSpan.TicksPerSecond, 30 * TimeSpan.TicksPerSecond));
        return PeriodicWork.RunAsync(scopes, clock, period, runAtStart: true, async (services, ct) =>
        {
            var queued = await services.GetRequiredService<RecoverImagesHandler>().HandleAsync(grace, ct);
            if (queued > 0)
            {
                LogRecovered(queued);
            }
        }, LogRecoveryError, stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Recovery queued {Count} pending or stuck images")]
    private partial void LogRecovered(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recovery of pending images failed")]
    private partial void LogRecoveryError(Exception exception);
}
