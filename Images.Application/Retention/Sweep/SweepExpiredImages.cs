using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Application.Webhooks;
using Images.Domain.Images;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Application.Retention.Sweep;

public sealed record SweepResult(int DeletedCount, int Errors);

/// <summary>
/// FR-4.2-4.5: deletes expired images batch by batch: the rows first, each with its image.deleted event (locked with SKIP LOCKED, so a
/// concurrent sweep takes other rows), then their thumbnails, then the originals no row references.
/// One failed deletion is counted and the sweep goes on.
/// </summary>
public sealed class SweepExpiredImagesHandler(
    IImageRepository images,
    IBlobStore blobs,
    IWebhookOutbox webhooks,
    IUnitOfWork unitOfWork,
    IOptions<RetentionOptions> options,
    TimeProvider clock,
    ILogger<SweepExpiredImagesHandler> logger)
{
    public async Task<SweepResult> HandleAsync(CancellationToken cancellationToken)
    {
        var batchSize = options.Value.BatchSize;
        var now = clock.GetUtcNow();
        var deleted = 0;
        var errors = 0;

        while (true)
        {
            // The rows and their image.deleted events go in one transaction (FR-10.2).
            IReadOnlyList<Image> batch;
            await using (var work = await unitOfWork.BeginAsync(cancellationToken))
            {
                batch = await images.DeleteExpiredBatchAsync(now, batchSize, cancellationToken);
                foreach (var image in batch)
                {
                    await webhooks.RecordAsync(WebhookEventTypes.Deleted, ImageDto.From(image, exposeGps: false), cancellationToken);
                }

                await work.CommitAsync(cancellationToken);
            }

            deleted += batch.Count;
            foreach (var id in batch.Select(i => i.Id))
            {
                try
                {
                    // The thumbnail and every rendition (FR-4.2, FR-12.2); a failure here leaves
                    // files whose row is gone, which reconciliation removes later (NFR-9).
                    await blobs.DeleteThumbnailAsync(id, cancellationToken);
                    await blobs.DeleteDerivedAsync(DerivedKeys.Prefix(id), cancellationToken);
                }
                catch (StorageUnavailableException ex)
                {
                    errors++;
                    logger.LogError(ex, "Could not delete the renditions of expired image {ImageId}", id);
                }
                catch (IOException ex)
                {
                    errors++;
                    logger.LogError(ex, "Could not delete the thumbnail of expired image {ImageId}", id);
                }
                catch (UnauthorizedAccessException ex)
                {
                    errors++;
                    logger.LogError(ex, "Could not delete the thumbnail of expired image {ImageId}", id);
                }
            }

            var collected = await images.CollectUnreferencedOriginalsAsync(cancellationToken);
            errors += collected.Errors;

            if (batch.Count < batchSize)
            {
                break;
            }
        }

        if (deleted > 0 || errors > 0)
        {
            logger.LogInformation("Retention sweep deleted {Deleted} expired images with {Errors} errors", deleted, errors);
        }

        return new SweepResult(deleted, errors);
    }
}
