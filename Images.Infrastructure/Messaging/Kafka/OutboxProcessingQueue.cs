using System.Diagnostics;
using Images.Application.Abstractions;
using Images.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Images.Infrastructure.Messaging.Kafka;

/// <summary>
/// The Kafka adapter of the processing port (IMG_BROKER_ENABLED=true) and the one writer of the
/// transactional outbox (FR-2.7, ADR 5): a task row, unless an unsent one exists. Inside a unit of
/// work (an upload) the row commits with the image's row, on the same connection and transaction;
/// outside one (recovery) it commits alone. The relay is woken once the row is committed.
/// </summary>
internal sealed class OutboxProcessingQueue(ImagesDbContext db, IUnitOfWork unitOfWork, OutboxSignal signal, TimeProvider clock) : IProcessingQueue
{
    public async Task<bool> EnqueueAsync(Guid imageId, CancellationToken cancellationToken)
    {
        // The upload's trace, carried by the row to the relay's publish span and on to the Worker.
        var traceParent = Activity.Current?.Id;
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO processing_outbox (image_id, created_at, attempts, trace_parent)
            SELECT {imageId}, {clock.GetUtcNow()}, 0, {traceParent}
            WHERE NOT EXISTS (SELECT 1 FROM processing_outbox WHERE image_id = {imageId} AND sent_at IS NULL)
            """, cancellationToken);
        if (unitOfWork.Current is { } transaction)
        {
            transaction.OnCommitted(signal.Notify);
        }
        else
        {
            signal.Notify();
        }

        return true;
    }
}
