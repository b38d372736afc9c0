using Images.Application.Abstractions;
using Images.Domain.Images;

namespace Images.Infrastructure.Storage;

/// <summary>
/// What the repository does to originals under the hash's PostgreSQL advisory lock (ADR 1): place a
/// staged upload at its content address unless it exists, and delete one that no row references.
/// The lock serialises every replica's decisions about one hash, so an existence check followed by
/// a write is safe on any store; the S3 store also writes with <c>If-None-Match: *</c> where the
/// server honours it (ADR 11).
/// </summary>
internal interface IOriginalStore
{
    /// <summary>Places <paramref name="staged"/> at its content address; true when this call created the blob.</summary>
    Task<bool> PlaceAsync(StagedBlob staged, CancellationToken cancellationToken);

    Task<bool> OriginalExistsAsync(ContentHash hash, CancellationToken cancellationToken);

    /// <summary>Deletes an original; the caller holds the hash's lock and knows no row references it.</summary>
    Task DeleteOriginalAsync(ContentHash hash, CancellationToken cancellationToken);
}
