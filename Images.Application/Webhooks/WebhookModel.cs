namespace Images.Application.Webhooks;

/// <summary>The event types of FR-10.1.</summary>
public static class WebhookEventTypes
{
    public const string Created = "image.created";
    public const string Completed = "image.completed";
    public const string Failed = "image.failed";
    public const string Deleted = "image.deleted";

    public static readonly IReadOnlyList<string> All = [Created, Completed, Failed, Deleted];
}

/// <summary>Delivery states: pending (to be tried, or being tried), delivered, dead (the retry window ran out).</summary>
public static class DeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Dead = "dead";
}

/// <summary>A subscription as stored; its secret never leaves the service except when created or rotated.</summary>
public sealed record WebhookSubscription(Guid Id, Uri Url, IReadOnlyList<string> Events, string Secret, DateTimeOffset CreatedAt);

/// <summary>The subscription resource (no secret).</summary>
public sealed record WebhookSubscriptionDto(Guid Id, string Url, IReadOnlyList<string> Events, DateTimeOffset CreatedAt)
{
    public static WebhookSubscriptionDto From(WebhookSubscription s) => new(s.Id, s.Url.OriginalString, s.Events, s.CreatedAt);
}

/// <summary>The answer to a creation or a rotation: the only time the secret is shown.</summary>
public sealed record WebhookSubscriptionWithSecretDto(Guid Id, string Url, IReadOnlyList<string> Events, DateTimeOffset CreatedAt, string Secret)
{
    public static WebhookSubscriptionWithSecretDto From(WebhookSubscription s) => new(s.Id, s.Url.OriginalString, s.Events, s.CreatedAt, s.Secret);
}

public sealed record WebhookSubscriptionList(IReadOnlyList<WebhookSubscriptionDto> Items);

/// <summary>One delivery of one event to one subscription (FR-10.2's deliveries endpoint).</summary>
public sealed record WebhookDeliveryView(
    long Id,
    Guid EventId,
    string Type,
    string Status,
    int Attempts,
    int? LastStatusCode,
    string? LastError,
    DateTimeOffset? LastAttemptAt,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset EventTimestamp,
    DateTimeOffset? DeliveredAt);

public sealed record WebhookDeliveryList(IReadOnlyList<WebhookDeliveryView> Items);

/// <summary>A delivery the dispatcher holds: what to send, and where; <c>Attempts</c> counts this attempt.</summary>
public sealed record DueDelivery(
    long Id,
    Guid EventId,
    string Type,
    Uri Url,
    string Secret,
    string Payload,
    DateTimeOffset EventTimestamp,
    int Attempts,
    string? TraceParent);

/// <summary>The stored result of an attempt.</summary>
public sealed record DeliveryOutcome(string Status, DateTimeOffset AttemptedAt, int? StatusCode, string? Error, DateTimeOffset? NextAttemptAt);
