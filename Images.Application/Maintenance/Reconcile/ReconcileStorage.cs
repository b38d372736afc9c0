using Images.Application.Abstractions;
using Images.Application.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Application.Maintenance.Reconcile;

public sealed record ReconcileResult(int Originals, int Thumbnails, int TemporaryFiles, int DerivedFiles = 0);

/// <summary>
/// NFR-9: no crash leaves a file behind for good. A process that dies between writing an original
/// and committing its row, or while an upload or a thumbnail is half written, leaves files that no
/// row references; this pass finds them once they are older than IMG_ORPHAN_GRACE_SECONDS and
/// removes them. Originals go through the collector, which deletes under the hash's lock only what
/// no row references at that moment, so a concurrent upload of the same bytes is never harmed.
/// </summary>
public sealed partial class ReconcileStorageHandler(
    IImageRepository images,
    IBlobStore blobs,
    ImagesMetrics metrics,
    IOptions<ReconciliationOptions> options,
    TimeProvider clock,
    ILogger<ReconcileStorageHandler> logger)
{
    private const int Batch = 500;

    public async Task<ReconcileResult> HandleAsync(CancellationToken cancellationToken)
    {
        var before = clock.GetUtcNow().AddSeconds(-options.Value.OrphanGraceSeconds);
        var temporary = await blobs.DeleteTemporaryFilesAsync(before, cancellationToken);

        var originals = 0;
        await foreach (var batch in Batches(blobs.ListOriginalsAsync(before, cancellationToken), cancellationToken))
        {
            var referenced = await images.FindReferencedAsync(batch, cancellationToken);
            var orphans = batch.Where(h => !referenced.Contains(h)).ToList();
            if (orphans.Count > 0)
            {
                await images.ScheduleCollectionAsync(orphans, cancellationToken);
                originals += (await images.CollectUnreferencedOriginalsAsync(cancellationToken)).Deleted;
            }
        }

        var thumbnails = 0;
        await foreach (var batch in Batches(blobs.ListThumbnailsAsync(before, cancellationToken), cancellationToken))
        {
            var existing = await images.FindExistingAsync(batch, cancellationToken);
            foreach (var id in batch.Where(id => !existing.Contains(id)))
            {
                await blobs.DeleteThumbnailAsync(id, cancellationToken);
                thumbnails++;
            }
        }

        // Derived files (renditions) of images that no longer exist, or that are not completed (a
        // crash between writing them and saving the outcome, or a failed attempt): a completed
        // image keeps its files; one processed again writes them again.
        var derived = 0;
        await foreach (var batch in Batches(blobs.ListDerivedAsync(before, cancellationToken), cancellationToken))
        {
            var owners = batch.Select(DerivedKeys.Owner).OfType<Guid>().Distinct().ToList();
            var completed = await images.FindCompletedAsync(owners, cancellationToken);
            foreach (var owner in owners.Where(o => !completed.Contains(o)))
            {
                await blobs.DeleteDerivedAsync(DerivedKeys.Prefix(owner), cancellationToken);
                derived += batch.Count(k => DerivedKeys.Owner(k) == owner);
            }
        }

        metrics.OrphansRemoved("original", originals);
        metrics.OrphansRemoved("derived", derived);
        metrics.OrphansRemoved("thumbnail", thumbnails);
        metrics.OrphansRemoved("temporary", temporary);
        if (originals + thumbnails + temporary + derived > 0)
        {
            LogRemoved(originals, thumbnails, temporary, derived);
        }

        return new ReconcileResult(originals, thumbnails, temporary, derived);
    }

    private static async IAsyncEnumerable<List<T>> Batches<T>(IAsyncEnumerable<T> items, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var batch = new List<T>(Batch);
        await foreach (var item in items.WithCancellation(cancellationToken))
        {
            batch.Add(item);
            if (batch.Count == Batch)
            {
                yield return batch;
                batch = new List<T>(Batch);
            }
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation removed {Originals} orphan originals, {Thumbnails} orphan thumbnails, {Temporary} stale temporary files and {Derived} orphan rendition files")]
    private partial void LogRemoved(int originals, int thumbnails, int temporary, int derived);
}
