using Images.Application.Abstractions;
using Images.Application.Webhooks;
using Images.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Images.Infrastructure.Webhooks;

/// <summary>
/// Subscriptions and deliveries in PostgreSQL (FR-10.1, FR-10.2). Dispatchers in every Api replica
/// split the due deliveries with FOR UPDATE SKIP LOCKED, as the processing outbox's relay does,
/// and hold what they took by pushing its next attempt past the time an attempt can take (a lease):
/// no transaction stays open across an HTTP call. An attempt is counted when it is taken, so one
/// cut short by a dying process still shows in <c>attempts</c>.
/// </summary>
internal sealed class WebhookStore(ImagesDbContext db) : IWebhookStore
{
    public async Task AddAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        db.WebhookSubscriptions.Add(new WebhookSubscriptionEntity
        {
            Id = subscription.Id,
            Url = subscription.Url.OriginalString,
            Events = [.. subscription.Events],
            Secret = subscription.Secret,
            CreatedAt = subscription.CreatedAt,
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<WebhookSubscription>> ListAsync(CancellationToken cancellationToken) =>
        [.. (await db.WebhookSubscriptions.AsNoTracking().OrderBy(s => s.CreatedAt).ThenBy(s => s.Id).ToListAsync(cancellationToken)).Select(ToModel)];

    public async Task<WebhookSubscription?> GetAsync(Guid id, CancellationToken cancellationToken) =>
        await db.WebhookSubscriptions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken) is { } entity ? ToModel(entity) : null;

    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken) =>
        await db.WebhookSubscriptions.Where(s => s.Id == id).ExecuteDeleteAsync(cancellationToken) > 0;

    public async Task<bool> RotateSecretAsync(Guid id, string secret, CancellationToken cancellationToken) =>
        await db.WebhookSubscriptions.Where(s => s.Id == id).ExecuteUpdateAsync(u => u.SetProperty(s => s.Secret, secret), cancellationToken) > 0;

    public async Task<IReadOnlyList<WebhookDeliveryView>> ListDeliveriesAsync(Guid subscriptionId, int limit, CancellationToken cancellationToken) =>
        await db.WebhookDeliveries.AsNoTracking()
            .Where(d => d.SubscriptionId == subscriptionId)
            .OrderByDescending(d => d.Id)
            .Take(limit)
            .Select(d => new WebhookDeliveryView(
                d.Id,
                d.EventId,
                d.EventType,
                d.Status,
                d.Attempts,
                d.LastStatusCode,
                d.LastError,
                d.LastAttemptAt,
                d.Status == DeliveryStatus.Pending ? d.NextAttemptAt : null,
                d.EventTimestamp,
                d.DeliveredAt))
            .ToListAsync(cancellationToken);

    public async Task<IReadOnlyList<DueDelivery>> ClaimDueAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken cancellationToken)
    {
        var rows = await db.Database.SqlQuery<ClaimedRow>($"""
            WITH due AS (
                SELECT id FROM webhook_deliveries
                WHERE status = 'pending' AND next_attempt_at <= {now}
                ORDER BY next_attempt_at
                LIMIT {limit}
                FOR UPDATE SKIP LOCKED)
            UPDATE webhook_deliveries d SET next_attempt_at = {leaseUntil}, attempts = d.attempts + 1
            FROM due, webhook_subscriptions s
            WHERE d.id = due.id AND s.id = d.subscription_id
            RETURNING d.id AS "Id", d.event_id AS "EventId", d.event_type AS "EventType", s.url AS "Url", s.secret AS "Secret",
                      d.payload AS "Payload", d.event_timestamp AS "EventTimestamp", d.attempts AS "Attempts", d.trace_parent AS "TraceParent"
            """).ToListAsync(cancellationToken);
        return [.. rows.Select(r => new DueDelivery(r.Id, r.EventId, r.EventType, new Uri(r.Url), r.Secret, r.Payload, r.EventTimestamp, r.Attempts, r.TraceParent))];
    }

    public async Task RecordAttemptAsync(long deliveryId, DeliveryOutcome outcome, CancellationToken cancellationToken)
    {
        var error = outcome.Error is { Length: > 2000 } text ? text[..2000] : outcome.Error;
        DateTimeOffset? deliveredAt = outcome.Status == DeliveryStatus.Delivered ? outcome.AttemptedAt : null;
        await db.Database.ExecuteSqlAsync($"""
            UPDATE webhook_deliveries
            SET status = {outcome.Status}, last_attempt_at = {outcome.AttemptedAt},
                last_status_code = {outcome.StatusCode}, last_error = {error}, next_attempt_at = {outcome.NextAttemptAt},
                delivered_at = {deliveredAt}
            WHERE id = {deliveryId}
            """, cancellationToken);
    }

    public async Task<DateTimeOffset?> OldestPendingEventAsync(CancellationToken cancellationToken) =>
        await db.WebhookDeliveries.AsNoTracking()
            .Where(d => d.Status == DeliveryStatus.Pending)
            .MinAsync(d => (DateTimeOffset?)d.EventTimestamp, cancellationToken);

    private static WebhookSubscription ToModel(WebhookSubscriptionEntity e) => new(e.Id, new Uri(e.Url), e.Events, e.Secret, e.CreatedAt);

    private sealed class ClaimedRow
    {
        public long Id { get; set; }

        public Guid EventId { get; set; }

        public string EventType { get; set; } = string.Empty;

        public string Url { get; set; } = string.Empty;

        public string Secret { get; set; } = string.Empty;

        public string Payload { get; set; } = string.Empty;

        public DateTimeOffset EventTimestamp { get; set; }

        public int Attempts { get; set; }

        public string? TraceParent { get; set; }
    }
}
