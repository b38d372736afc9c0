using System.Diagnostics;
using System.Text.Json;
using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Application.Webhooks;
using Images.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Images.Infrastructure.Webhooks;

/// <summary>
/// Writes an event's deliveries, one per subscription that wants its type, with one statement on
/// the scope's connection: inside the open unit of work it commits or rolls back with the state
/// change (FR-10.2, ADR 13). The payload is <c>{"type","timestamp","data": image resource}</c>,
/// stored as sent. The trace to continue is the image's (the traceparent its processing task
/// stored at upload) or else the current one.
/// </summary>
internal sealed class WebhookOutbox(ImagesDbContext db, IUnitOfWork unitOfWork, WebhookSignal signal, TimeProvider clock) : IWebhookOutbox
{
    public async Task RecordAsync(string eventType, ImageDto image, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var eventId = Guid.CreateVersion7(now);
        var payload = JsonSerializer.Serialize(new WebhookPayload(eventType, now, image), ContractJson.Options);
        var current = Activity.Current?.Id;
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
        if (written == 0)
        {
            return;
        }

        if (unitOfWork.Current is { } transaction)
        {
            transaction.OnCommitted(signal.Notify);
        }
        else
        {
            signal.Notify();
        }
    }

    private sealed record WebhookPayload(string Type, DateTimeOffset Timestamp, ImageDto Data);
}
