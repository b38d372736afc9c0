namespace Images.Infrastructure.Persistence;

/// <summary>
/// A processing task waiting to be published to Kafka (transactional outbox, FR-2.7): written in
/// the upload's transaction, published by the relay, then marked sent.
/// </summary>
internal sealed class OutboxMessage
{
    public long Id { get; set; }

    public Guid ImageId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    public int Attempts { get; set; }

    public string? LastError { get; set; }

    /// <summary>W3C traceparent of the upload, so the worker's span continues the upload's trace.</summary>
    public string? TraceParent { get; set; }
}
