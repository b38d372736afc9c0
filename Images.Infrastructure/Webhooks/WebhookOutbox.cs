using System.Diagnostics;
using System.Text.Json;
using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Application.Webhooks;
using Images.Infrastructure.Events;
using Images.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Images.Infrastructure.Webhooks;

/// <summary>
/// Writes an event to the event log (FR-12.1: the stream's <c>image_events</c>, whose position is
/// handed out under a lock held until commit, ADR 16, with a NOTIFY that PostgreSQL sends on commit)
/// and its deliveries, one per subscription that wants its type: inside the open unit of work all of
/// it commits or rolls back with the state change (FR-10.2, ADR 13). Without one, it opens its own. The payload is <c>{"type","timestamp","data": image resource}</c>,
/// stored as sent. The trace to continue is the image's (the traceparent its processing task
/// stored at upload) or else the current one.
/// </summary>
internal sealed class WebhookOutbox(ImagesDbContext db, IUnitOfWork unitOfWork, WebhookSignal signal, TimeProvider clock) : IWebhookOutbox
{
    public async Task RecordAsync(string eventType, ImageDto image, CancellationToken cancellationToken)
    {
        if (unitOfWork.Current is null)
        {
            // The lock below orders positions only if it is held until the event's commit.
            await using var own = await unitOfWork.BeginAsync(cancellationToken);
            await RecordAsync(eventType, image, cancellationToken);
            await own.CommitAsync(cancellationToken);
            return;
        }

        var now = clock.GetUtcNow();
        var eventId = Guid.CreateVersion7(now);
        var payload = JsonSerializer.Serialize(new WebhookPayload(eventType, now, image), ContractJson.Options);
        var current = Activity.Current?.Id;
        // Last lock this transaction takes (every writer records its events right before it commits),
        // so it orders commits without a chance of deadlock; held for the few statements left.
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({ImageEventLog.LockClass}, {ImageEventLog.LockKey})", cancellationToken);
        await db.Database.ExecuteSqlAsync($"""
            WITH appended AS (
                INSERT INTO image_events (event_id, event_type, image_id, payload, created_at)
                VALUES ({eventId}, {eventType}, {image.Id}, {payload}, {now})
                RETURNING id)
            SELECT pg_notify({ImageEventLog.Channel}, appended.id::text) FROM appended
            """, cancellationToken);
        var written = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO webhook_deliveries (subscription_id, event_id, event_type, payload, event_timestamp, trace_parent, status, attempts, next_attempt_at)
            SELECT s.id, {eventId}, {eventType}, {payload}, {now},
                   COALESCE((SELECT o.trace_parent FROM processing_outbox o
                             WHERE o.image_id = {image.Id} AND o.trace_parent IS NOT NULL
                             ORDER BY o.id LIMIT 1), {current}),
                   'pending', 0, {now}
            FROM webhook_subscriptions s
            WHERE {eventType} = ANY (s.events)
            """, cancellationToken);
        if (written > 0)
        {
            unitOfWork.Current!.OnCommitted(signal.Notify);
        }
    }

    private sealed record WebhookPayload(string Type, DateTimeOffset Timestamp, ImageDto Data);
}
