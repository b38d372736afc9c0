using System.Diagnostics;
using Images.Application.Abstractions;
using Images.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Images.Infrastructure.Messaging;

/// <summary>Wakes the outbox relay as soon as a task is written, instead of at its next poll.</summary>
public sealed class OutboxSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}

/// <summary>
/// The Kafka adapter of the processing port (IMG_BROKER_ENABLED=true). An upload's task row is
/// written by the repository inside the upload's transaction; this makes sure one unsent task
/// exists for images queued later (recovery) and wakes the relay.
/// </summary>
internal sealed class OutboxProcessingQueue(ImagesDbContext db, OutboxSignal signal, TimeProvider clock) : IProcessingQueue
{
    public async Task<bool> EnqueueAsync(Guid imageId, CancellationToken cancellationToken)
    {
        var traceParent = Activity.Current?.Id;
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO processing_outbox (image_id, created_at, attempts, trace_parent)
            SELECT {imageId}, {clock.GetUtcNow()}, 0, {traceParent}
            WHERE NOT EXISTS (SELECT 1 FROM processing_outbox WHERE image_id = {imageId} AND sent_at IS NULL)
            """, cancellationToken);
        signal.Notify();
        return true;
    }
}
