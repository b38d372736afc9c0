using Images.Application.Common;
using Images.Application.Maintenance.Reconcile;
using Images.Application.Retention.Sweep;
using Images.Infrastructure.Events;
using Images.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Maintenance;

/// <summary>
/// Periodic upkeep: the retention sweep when IMG_RETENTION_INTERVAL_SECONDS is above zero (FR-4.5;
/// safe beside other replicas and a CronJob thanks to SKIP LOCKED), reconciliation of storage with
/// the database every IMG_RECONCILE_INTERVAL_SECONDS (NFR-9; idempotent, so replicas may overlap),
/// compaction of the per-status count deltas every minute, and every five minutes the purge of
/// expired idempotency keys (FR-9.4), of webhook deliveries finished a week ago and of events older
/// than the stream's replay window (FR-12.1).
/// </summary>
public sealed partial class ScheduledMaintenanceService(
    IServiceScopeFactory scopes,
    IOptions<RetentionOptions> retention,
    IOptions<ReconciliationOptions> reconciliation,
    IOptions<EventStreamOptions> events,
    TimeProvider clock,
    ILogger<ScheduledMaintenanceService> logger) : BackgroundService
{
    private static readonly TimeSpan CompactionInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(5);

    /// <summary>How long delivered and dead webhook deliveries stay listed.</summary>
    private static readonly TimeSpan KeepFinishedDeliveries = TimeSpan.FromDays(7);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tasks = new List<Task>
        {
            RepeatAsync(CompactionInterval, CompactAsync, stoppingToken),
            RepeatAsync(PurgeInterval, PurgeAsync, stoppingToken),
        };
        if (retention.Value.IntervalSeconds > 0)
        {
            tasks.Add(RepeatAsync(TimeSpan.FromSeconds(retention.Value.IntervalSeconds), SweepAsync, stoppingToken));
        }

        if (reconciliation.Value.IntervalSeconds > 0)
        {
            tasks.Add(RepeatAsync(TimeSpan.FromSeconds(reconciliation.Value.IntervalSeconds), ReconcileAsync, stoppingToken));
        }

        return Task.WhenAll(tasks);
    }

    private static async Task CompactAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<ImagesDbContext>();
        await db.Database.ExecuteSqlAsync($"SELECT compact_image_count_deltas()", cancellationToken);
    }

    /// <summary>Idempotency keys past their 24 h (FR-9.4), finished webhook deliveries past a week and events past the replay window go.</summary>
    private async Task PurgeAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<ImagesDbContext>();
        var now = clock.GetUtcNow();
        await db.IdempotencyKeys.Where(k => k.ExpiresAt <= now).ExecuteDeleteAsync(cancellationToken);
        var before = now - KeepFinishedDeliveries;
        await db.WebhookDeliveries.Where(d => d.Status != "pending" && d.LastAttemptAt < before).ExecuteDeleteAsync(cancellationToken);
        // The horizon moves in the same statement, so a stream resuming from a purged position is told (a reset).
        var eventsBefore = now - events.Value.ReplayWindow;
        await db.Database.ExecuteSqlAsync($"""
            WITH purged AS (DELETE FROM image_events WHERE created_at < {eventsBefore} RETURNING id)
            UPDATE image_event_horizon SET purged_through = GREATEST(purged_through, (SELECT max(id) FROM purged))
            WHERE id = 1 AND EXISTS (SELECT 1 FROM purged)
            """, cancellationToken);
    }

    private static Task SweepAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<SweepExpiredImagesHandler>().HandleAsync(cancellationToken);

    private static Task ReconcileAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<ReconcileStorageHandler>().HandleAsync(cancellationToken);

    private Task RepeatAsync(TimeSpan period, Func<IServiceProvider, CancellationToken, Task> work, CancellationToken stoppingToken) =>
        PeriodicWork.RunAsync(scopes, clock, period, runAtStart: false, work, ex => LogFailed(ex, work.Method.Name), stoppingToken);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scheduled {Work} failed; it runs again on the next tick")]
    private partial void LogFailed(Exception exception, string work);
}
