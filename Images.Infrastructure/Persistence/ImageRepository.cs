using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;
using Images.Infrastructure.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Images.Infrastructure.Persistence;

/// <summary>
/// PostgreSQL persistence of images. Whether an original may exist or be deleted is decided in the
/// database: every change of the set of rows that reference a hash that also touches its blob runs
/// under a transaction-scoped advisory lock on that hash, so concurrent uploads, sweeps and failed
/// uploads never delete a blob that a committed row points at (FR-1.4, FR-1.7).
/// </summary>
internal sealed partial class ImageRepository(
    ImagesDbContext db,
    IOriginalStore store,
    IUnitOfWork unitOfWork,
    ILogger<ImageRepository> logger) : IImageRepository
{
    private const int CollectBatch = 100;

    public Task<Image?> GetAsync(Guid id, CancellationToken cancellationToken) =>
        db.Images.FirstOrDefaultAsync(i => i.Id == id, cancellationToken);

    public async Task<IReadOnlyList<(Image Image, int Distance)>> FindSimilarAsync(ulong hash, Guid excluded, int maxDistance, int limit, CancellationToken cancellationToken)
    {
        List<SimilarRow> found;
        var own = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        await using (own)
        {
            await db.Database.ExecuteSqlRawAsync(PhashBands.PlannerSetting, cancellationToken);
            found = await db.Database.SqlQueryRaw<SimilarRow>(PhashBands.Sql, PhashBands.Parameters(hash, excluded, maxDistance, limit))
                .ToListAsync(cancellationToken);
            if (own is not null)
            {
                await own.CommitAsync(cancellationToken);
            }
        }

        if (found.Count == 0)
        {
            return [];
        }

        var ids = found.Select(f => f.Id).ToList();
        var rows = await db.Images.AsNoTracking().Where(i => ids.Contains(i.Id)).ToDictionaryAsync(i => i.Id, cancellationToken);
        return [.. found.Where(f => rows.ContainsKey(f.Id)).Select(f => (rows[f.Id], f.Distance))];
    }

    private sealed record SimilarRow(Guid Id, int Distance);

    public async Task<(IReadOnlyList<Image> Items, long Total)> ListAsync(ImageListFilter filter, int offset, int limit, CancellationToken cancellationToken)
    {
        var query = db.Images.AsNoTracking();
        var deltas = db.ImageCountDeltas.AsNoTracking();
        if (filter.Status is { } s)
        {
            query = query.Where(i => i.Status == s);
            var name = s.ToContract();
            deltas = deltas.Where(d => d.Status == name);
        }

        if (filter.Tag is { } tag)
        {
            // ARRAY[@tag] <@ tags: answered by the tags' GIN index.
            string[] wanted = [tag];
            query = query.Where(i => wanted.All(t => EF.Property<List<string>>(i, "_tags").Contains(t)));
        }

        if (filter.FilenameContains is { } part)
        {
            // ILIKE '%part%' (the pattern's own wildcards escaped): answered by the trigram index.
            query = query.Where(i => EF.Functions.ILike(i.Filename, "%" + EscapeLike(part) + "%", LikeEscape));
        }

        var items = await query
            .OrderByDescending(i => i.CreatedAt).ThenByDescending(i => i.Id)
            .Skip(offset).Take(limit)
            .ToListAsync(cancellationToken);
        var total = filter.IsStatusOnly
            ? await deltas.SumAsync(d => (long?)d.Delta, cancellationToken) ?? 0
            : await query.LongCountAsync(cancellationToken);
        return (items, total);
    }

    private const string LikeEscape = "\\";

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    public async Task AddAsync(Image image, StagedBlob original, CancellationToken cancellationToken)
    {
        // Inside the caller's unit of work (an upload, whose task joins it), or one of its own.
        var own = unitOfWork.Current is null ? await unitOfWork.BeginAsync(cancellationToken) : null;
        try
        {
            // The hash's lock is held until the transaction ends: no collector decides about these
            // bytes between the placement below and the commit (ADR 1).
            await LockHashAsync(image.ContentHash, cancellationToken);
            if (await store.PlaceAsync(original, cancellationToken))
            {
                // Should the row never land, the blob this upload created must not outlive it.
                unitOfWork.Current!.OnRolledBack(() => ScheduleAndCollectAsync(image.ContentHash));
            }

            db.Images.Add(image);
            await db.SaveChangesAsync(cancellationToken);
            if (own is not null)
            {
                await own.CommitAsync(cancellationToken);
            }
        }
        finally
        {
            if (own is not null)
            {
                await own.DisposeAsync();
            }
        }
    }

    public async Task<SaveResult> UpdateAsync(Image image, CancellationToken cancellationToken)
    {
        try
        {
            // Optimistic concurrency on an explicit version: every saved change moves it on, so two
            // processes never both claim an image; lease renewals do not touch it (ProcessingLeases).
            var entry = db.Entry(image);
            if (entry.State == EntityState.Modified)
            {
                var version = entry.Property<int>(ImageConfiguration.VersionProperty);
                version.CurrentValue = version.OriginalValue + 1;
            }

            await db.SaveChangesAsync(cancellationToken);
            return SaveResult.Saved;
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            var exists = await db.Images.AnyAsync(i => i.Id == image.Id, cancellationToken);
            return exists ? SaveResult.Conflict : SaveResult.Gone;
        }
    }

    public async Task<IReadOnlyList<Image>> DeleteExpiredBatchAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken)
    {
        // Lock up to a batch of expired rows that no other sweep holds and delete them (FR-4.2,
        // FR-4.3, FR-4.5); then, in the same transaction, take each hash's lock and queue the hash
        // for collection. The lock makes the queueing wait for a collector that is deciding about
        // that hash right now: once it commits (having seen these rows, so keeping the blob, and
        // removing its queue entry), the insert below, a statement of its own with a fresh
        // snapshot, queues the hash again. Locks are taken in key order, as the collector does,
        // so the two never deadlock. Inside the caller's unit of work (the sweep, whose
        // image.deleted events join it), or a transaction of its own.
        var own = unitOfWork.Current is null ? await unitOfWork.BeginAsync(cancellationToken) : null;
        try
        {
            var deleted = await db.Images.FromSql($"""
                WITH expired AS (
                    SELECT id FROM images
                    WHERE expires_at IS NOT NULL AND expires_at <= {now}
                    ORDER BY expires_at
                    LIMIT {batchSize}
                    FOR UPDATE SKIP LOCKED)
                DELETE FROM images i USING expired e WHERE i.id = e.id
                RETURNING i.*
                """).AsNoTracking().ToListAsync(cancellationToken);
            var hashes = deleted.Select(d => d.ContentHash).Distinct().OrderBy(h => h.LockKey).ToList();
            foreach (var hash in hashes)
            {
                await LockHashAsync(hash, cancellationToken);
            }

            await QueueForCollectionAsync(hashes, now, cancellationToken);
            if (own is not null)
            {
                await own.CommitAsync(cancellationToken);
            }

            return deleted;
        }
        finally
        {
            if (own is not null)
            {
                await own.DisposeAsync();
            }
        }
    }

    public async Task<Image?> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        // The same steps as a sweep's batch (DeleteExpiredBatchAsync): the row goes, then the hash's
        // lock and its queue entry, so a collector deciding about these bytes right now is waited for
        // and the hash is queued again after it (ADR 1). A second DELETE of the same id waits on the
        // row lock and then finds nothing: one image.deleted, one 204, then 404.
        var own = unitOfWork.Current is null ? await unitOfWork.BeginAsync(cancellationToken) : null;
        try
        {
            var deleted = await db.Images.FromSql($"""
                DELETE FROM images WHERE id = {id}
                RETURNING *
                """).AsNoTracking().ToListAsync(cancellationToken);
            if (deleted.Count == 0)
            {
                return null;
            }

            var image = deleted[0];
            await LockHashAsync(image.ContentHash, cancellationToken);
            await QueueForCollectionAsync([image.ContentHash], DateTimeOffset.UtcNow, cancellationToken);
            if (own is not null)
            {
                await own.CommitAsync(cancellationToken);
            }

            return image;
        }
        finally
        {
            if (own is not null)
            {
                await own.DisposeAsync();
            }
        }
    }

    public async Task<IReadOnlySet<ContentHash>> FindReferencedAsync(IReadOnlyCollection<ContentHash> hashes, CancellationToken cancellationToken)
    {
        var values = hashes.Select(h => h.Value).ToArray();
        var found = await db.Database
            .SqlQuery<string>($"SELECT DISTINCT content_hash AS \"Value\" FROM images WHERE content_hash = ANY({values})")
            .ToListAsync(cancellationToken);
        return found.Select(ContentHash.Parse).ToHashSet();
    }

    public async Task<IReadOnlySet<Guid>> FindExistingAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        var values = ids.ToArray();
        return (await db.Images.AsNoTracking().Where(i => values.Contains(i.Id)).Select(i => i.Id).ToListAsync(cancellationToken)).ToHashSet();
    }

    public async Task<IReadOnlySet<Guid>> FindCompletedAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        var values = ids.ToArray();
        return (await db.Images.AsNoTracking().Where(i => values.Contains(i.Id) && i.Status == ImageStatus.Completed).Select(i => i.Id)
            .ToListAsync(cancellationToken)).ToHashSet();
    }

    public Task ScheduleCollectionAsync(IReadOnlyCollection<ContentHash> hashes, CancellationToken cancellationToken) =>
        QueueForCollectionAsync(hashes, DateTimeOffset.UtcNow, cancellationToken);

    private Task QueueForCollectionAsync(IReadOnlyCollection<ContentHash> hashes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var values = hashes.Select(h => h.Value).ToArray();
        return values.Length == 0
            ? Task.CompletedTask
            : db.Database.ExecuteSqlAsync($"""
                INSERT INTO blob_collection_queue (content_hash, enqueued_at)
                SELECT h, {now} FROM unnest({values}) AS h
                ON CONFLICT (content_hash) DO NOTHING
                """, cancellationToken);
    }

    public async Task<BlobCollection> CollectUnreferencedOriginalsAsync(CancellationToken cancellationToken)
    {
        var deleted = 0;
        var errors = 0;
        var failed = new HashSet<string>();
        while (true)
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var hashes = await db.Database.SqlQuery<string>($"""
                SELECT content_hash AS "Value" FROM blob_collection_queue
                ORDER BY enqueued_at
                LIMIT {CollectBatch}
                FOR UPDATE SKIP LOCKED
                """).ToListAsync(cancellationToken);
            // Locks in key order, as the sweep takes them, so the two never deadlock.
            var pending = hashes.Where(h => !failed.Contains(h)).OrderBy(h => ContentHash.Parse(h).LockKey).ToList();
            if (pending.Count == 0)
            {
                await transaction.RollbackAsync(cancellationToken);
                return new BlobCollection(deleted, errors);
            }

            foreach (var value in pending)
            {
                var hash = ContentHash.Parse(value);
                await LockHashAsync(hash, cancellationToken);
                var referenced = await db.Images.AnyAsync(i => i.ContentHash == hash, cancellationToken);
                try
                {
                    if (!referenced && await store.OriginalExistsAsync(hash, cancellationToken))
                    {
                        await store.DeleteOriginalAsync(hash, cancellationToken);
                        deleted++;
                    }

                    await db.Database.ExecuteSqlAsync($"DELETE FROM blob_collection_queue WHERE content_hash = {value}", cancellationToken);
                }
                catch (StorageUnavailableException ex)
                {
                    // Kept in the queue: the next sweep tries again.
                    errors++;
                    failed.Add(value);
                    LogCollectFailed(ex, value);
                }
                catch (IOException ex)
                {
                    errors++;
                    failed.Add(value);
                    LogCollectFailed(ex, value);
                }
                catch (UnauthorizedAccessException ex)
                {
                    errors++;
                    failed.Add(value);
                    LogCollectFailed(ex, value);
                }
            }

            await transaction.CommitAsync(cancellationToken);
        }
    }

    public async Task<IReadOnlyList<Guid>> ListRecoverableAsync(DateTimeOffset pendingBefore, DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        await db.Images.AsNoTracking()
            .Where(i => (i.Status == ImageStatus.Pending && i.UpdatedAt <= pendingBefore) ||
                        (i.Status == ImageStatus.Processing && (i.LeaseExpiresAt == null || i.LeaseExpiresAt <= now)))
            .OrderBy(i => i.CreatedAt)
            .Select(i => i.Id)
            .Take(limit)
            .ToListAsync(cancellationToken);

    private Task LockHashAsync(ContentHash hash, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({hash.LockKey})", cancellationToken);

    private async Task ScheduleAndCollectAsync(ContentHash hash)
    {
        try
        {
            await QueueForCollectionAsync([hash], DateTimeOffset.UtcNow, CancellationToken.None);
            await CollectUnreferencedOriginalsAsync(CancellationToken.None);
        }
#pragma warning disable CA1031 // Clean-up after a failed upload must not hide the original error.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // Reconciliation finds the blob later (NFR-9).
            LogCleanupFailed(ex, hash.Value);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not delete unreferenced original {ContentHash}; it stays queued for the next sweep")]
    private partial void LogCollectFailed(Exception exception, string contentHash);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not clean up original {ContentHash} after a failed upload")]
    private partial void LogCleanupFailed(Exception exception, string contentHash);
}
