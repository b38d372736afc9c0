using Images.Application.Common;
using Images.Application.Images.Recover;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Maintenance;

/// <summary>
/// The reaper (NFR-9): every half lease (at most 10 s) it takes back images whose processing lease
/// lapsed (a process died; failed once IMG_PROCESSING_MAX_ATTEMPTS attempts died) and queues pending
/// images again: at once in in-process mode (the queue is empty after a restart), after
/// IMG_PROCESSING_REQUEUE_PENDING_SECONDS with Kafka (whose backlog may hold a task for a while),
/// and at once at start-up with a volatile broker (IMG_BROKER_VOLATILE, the development broker).
/// With the default 20 s lease, a dead Worker's images are taken over within 30 s.
/// </summary>
public sealed partial class ImageRecoveryService(
    IServiceScopeFactory scopes,
    IOptions<ProcessingOptions> processing,
    ProcessingTransport transport,
    TimeProvider clock,
    ILogger<ImageRecoveryService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var grace = transport.Durable ? TimeSpan.FromSeconds(processing.Value.RequeuePendingAfterSeconds) : TimeSpan.Zero;
        var period = TimeSpan.FromTicks(Math.Clamp(processing.Value.Lease.Ticks / 2, TimeSpan.TicksPerSecond, 10 * TimeSpan.TicksPerSecond));
        // A queue that may have lost its tasks in a restart gets every pending image again at once.
        var first = transport.TasksLostAtRestart;
        return PeriodicWork.RunAsync(scopes, clock, period, runAtStart: true, async (services, ct) =>
        {
            var queued = await services.GetRequiredService<RecoverImagesHandler>().HandleAsync(first ? TimeSpan.Zero : grace, ct);
            first = false;
            if (queued > 0)
            {
                LogRecovered(queued);
            }
        }, LogRecoveryError, stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Recovery queued {Count} pending or reclaimed images")]
    private partial void LogRecovered(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recovery of pending images failed")]
    private partial void LogRecoveryError(Exception exception);
}
