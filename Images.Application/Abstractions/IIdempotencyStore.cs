using Images.Application.Common;

namespace Images.Application.Abstractions;

/// <summary>
/// Idempotency keys of uploads (FR-9.4, ADR 13). Both calls join the open unit of work: a claim
/// and the response it records commit with the upload's row, or neither does.
/// </summary>
public interface IIdempotencyStore
{
    /// <summary>
    /// Claims (<paramref name="scope"/>, <paramref name="key"/>) for this request, or returns the
    /// live record of an earlier one. A concurrent request holding the same key makes this wait
    /// until that request's transaction ends (at most a few seconds, else
    /// <see cref="IdempotencyKeyInProgressException"/>). An expired record is taken over.
    /// </summary>
    Task<IdempotencyRecord?> ClaimAsync(string scope, string key, string fingerprint, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Stores the response of the request that holds the claim.</summary>
    Task CompleteAsync(string scope, string key, int status, ImageDto response, CancellationToken cancellationToken);
}

/// <summary>What the first request with a key stored: its fingerprint and its response.</summary>
public sealed record IdempotencyRecord(string Fingerprint, int Status, ImageDto Response);
