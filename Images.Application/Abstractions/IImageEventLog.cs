namespace Images.Application.Abstractions;

/// <summary>
/// One event of the log (FR-12.1): its position (monotonic in commit order; the stream's event id),
/// its FR-10.1 type and its payload <c>{"type","timestamp","data"}</c>, exactly as webhooks send it.
/// </summary>
public sealed record ImageEvent(long Id, string Type, string Payload);

/// <summary>Where the log stands: the newest position, and the one through which events were purged (0: none).</summary>
public readonly record struct ImageEventLogBounds(long Latest, long PurgedThrough);

/// <summary>
/// The log of image state changes that every writer appends to in the transaction of the change
/// (the same call that records the webhook deliveries, <see cref="IWebhookOutbox"/>), read by the
/// event stream. Positions are handed out in commit order, so a reader that has seen position n has
/// seen every committed event before it (ADR 16).
/// </summary>
public interface IImageEventLog
{
    Task<IReadOnlyList<ImageEvent>> ReadAfterAsync(long position, int limit, CancellationToken cancellationToken);

    Task<ImageEventLogBounds> BoundsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A task that completes when an event may have been appended after this call, by any process
    /// (PostgreSQL NOTIFY). Take it before reading, then wait for it: nothing slips in between.
    /// </summary>
    Task NextAppend();
}
