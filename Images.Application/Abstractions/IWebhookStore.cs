using Images.Application.Webhooks;

namespace Images.Application.Abstractions;

/// <summary>Persistence of webhook subscriptions and of their deliveries (FR-10.1, FR-10.2).</summary>
public interface IWebhookStore
{
    Task AddAsync(WebhookSubscription subscription, CancellationToken cancellationToken);

    Task<IReadOnlyList<WebhookSubscription>> ListAsync(CancellationToken cancellationToken);

    Task<WebhookSubscription?> GetAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Deletes the subscription and its deliveries; false when there is none.</summary>
    Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Replaces the secret; false when there is no such subscription.</summary>
    Task<bool> RotateSecretAsync(Guid id, string secret, CancellationToken cancellationToken);

    /// <summary>The subscription's deliveries, newest first.</summary>
    Task<IReadOnlyList<WebhookDeliveryView>> ListDeliveriesAsync(Guid subscriptionId, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Takes up to <paramref name="limit"/> due deliveries that no other dispatcher holds (SKIP
    /// LOCKED) and leases them until <paramref name="leaseUntil"/>: a dispatcher that dies leaves
    /// them to be taken again then (at least once).
    /// </summary>
    Task<IReadOnlyList<DueDelivery>> ClaimDueAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken cancellationToken);

    /// <summary>Stores an attempt's outcome.</summary>
    Task RecordAttemptAsync(long deliveryId, DeliveryOutcome outcome, CancellationToken cancellationToken);

    /// <summary>The event time of the oldest delivery not yet delivered or dead, or null.</summary>
    Task<DateTimeOffset?> OldestPendingEventAsync(CancellationToken cancellationToken);
}

/// <summary>Sends one signed request to a subscriber's URL (the HTTP adapter guards the address, FR-10.3).</summary>
public interface IWebhookSender
{
    Task<SendResult> SendAsync(Uri target, IReadOnlyDictionary<string, string> headers, string body, CancellationToken cancellationToken);
}

/// <summary>Refuses targets whose addresses are loopback, private, link-local... (FR-10.3); null when allowed.</summary>
public interface IWebhookTargetPolicy
{
    Task<string?> RefusalAsync(Uri target, CancellationToken cancellationToken);
}

/// <summary>An HTTP status when the target answered, else the error that stopped the attempt.</summary>
public sealed record SendResult(int? StatusCode, string? Error)
{
    public bool Succeeded => StatusCode is >= 200 and < 300;
}
