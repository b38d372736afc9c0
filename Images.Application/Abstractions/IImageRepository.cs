using Images.Domain.Images;

namespace Images.Application.Abstractions;

/// <summary>Persistence port for images (PostgreSQL in production).</summary>
public interface IImageRepository
{
    Task<Image?> GetAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>
    /// FR-9.2: images whose perceptual hash is within <paramref name="maxDistance"/> bits of
    /// <paramref name="hash"/>, nearest first (then by id), <paramref name="excluded"/> left out; from
    /// an index, never a scan of every row.
    /// </summary>
    Task<IReadOnlyList<(Image Image, int Distance)>> FindSimilarAsync(ulong hash, Guid excluded, int maxDistance, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Newest first, the filter's conditions all met (FR-3.4, FR-3.5, FR-12.3); the total counts every
    /// match. Answered from indexes at any size: a tag and a filename substring from GIN indexes.
    /// </summary>
    Task<(IReadOnlyList<Image> Items, long Total)> ListAsync(ImageListFilter filter, int offset, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the row and makes the staged original durable in one unit (FR-1.4, FR-1.7), the open
    /// unit of work's when there is one: once it commits, both exist; if it rolls back (or this
    /// throws), neither the row nor an unreferenced blob is left behind.
    /// </summary>
    Task AddAsync(Image image, StagedBlob original, CancellationToken cancellationToken);

    /// <summary>
    /// Saves the image's changed state. Returns <see cref="SaveResult.Conflict"/> when another writer
    /// changed it first and <see cref="SaveResult.Gone"/> when the row no longer exists.
    /// </summary>
    Task<SaveResult> UpdateAsync(Image image, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes up to <paramref name="batchSize"/> expired rows that no concurrent sweep holds
    /// (FR-4.2, FR-4.3, FR-4.5) and schedules their originals for collection; returns the deleted
    /// images as they were. Joins the open unit of work (the sweep's, with its events), if any.
    /// </summary>
    Task<IReadOnlyList<Image>> DeleteExpiredBatchAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken);

    /// <summary>
    /// FR-12.2: deletes one image's row, whatever its status, and schedules its original for
    /// collection, as a sweep does for an expired one; returns the image as it was, or null when no
    /// such row exists (or a concurrent delete took it). Joins the open unit of work, if any.
    /// </summary>
    Task<Image?> DeleteAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Deletes originals that no row references any more; returns how many failed.</summary>
    Task<BlobCollection> CollectUnreferencedOriginalsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Ids of images pending since before <paramref name="pendingBefore"/> and of images in
    /// processing whose lease has lapsed at <paramref name="now"/>, oldest first.
    /// </summary>
    Task<IReadOnlyList<Guid>> ListRecoverableAsync(DateTimeOffset pendingBefore, DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Which of <paramref name="hashes"/> some row references (reconciliation of originals).</summary>
    Task<IReadOnlySet<ContentHash>> FindReferencedAsync(IReadOnlyCollection<ContentHash> hashes, CancellationToken cancellationToken);

    /// <summary>Which of <paramref name="ids"/> exist (reconciliation of thumbnails).</summary>
    Task<IReadOnlySet<Guid>> FindExistingAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken);

    /// <summary>Which of <paramref name="ids"/> exist and are completed (reconciliation of renditions).</summary>
    Task<IReadOnlySet<Guid>> FindCompletedAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken);

    /// <summary>
    /// Queues originals that may have lost their last reference for collection; the collector
    /// deletes each under its hash's lock only if no row references it then.
    /// </summary>
    Task ScheduleCollectionAsync(IReadOnlyCollection<ContentHash> hashes, CancellationToken cancellationToken);
}
