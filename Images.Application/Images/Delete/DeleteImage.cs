using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Application.Webhooks;
using Microsoft.Extensions.Logging;

namespace Images.Application.Images.Delete;

/// <summary>
/// FR-12.2: deletes one image as a retention sweep deletes an expired one (FR-4.2): the row with
/// its image.deleted event in one transaction (FR-10.2), then the thumbnail and every rendition,
/// then the original unless another row shares its content hash (FR-1.7), decided under the hash's
/// lock by the same collector. A failure after the commit leaves files whose row is gone, which
/// the next collection or reconciliation removes (NFR-9); the answer is still 204.
/// </summary>
public sealed partial class DeleteImageHandler(
    IImageRepository images,
    IBlobStore blobs,
    IWebhookOutbox webhooks,
    IUnitOfWork unitOfWork,
    ILogger<DeleteImageHandler> logger)
{
    public async Task HandleAsync(Guid imageId, CancellationToken cancellationToken)
    {
        await using (var work = await unitOfWork.BeginAsync(cancellationToken))
        {
            var image = await images.DeleteAsync(imageId, cancellationToken)
                ?? throw new NotFoundException($"Image {imageId} not found.");
            await webhooks.RecordAsync(WebhookEventTypes.Deleted, ImageDto.From(image, exposeGps: false), cancellationToken);
            await work.CommitAsync(cancellationToken);
        }

        // The row is gone for good: what follows must not stop half-way because the client left.
        try
        {
            await blobs.DeleteThumbnailAsync(imageId, CancellationToken.None);
            await blobs.DeleteDerivedAsync(DerivedKeys.Prefix(imageId), CancellationToken.None);
        }
        catch (StorageUnavailableException ex)
        {
            LogFilesLeft(ex, imageId);
        }
        catch (IOException ex)
        {
            LogFilesLeft(ex, imageId);
        }
        catch (UnauthorizedAccessException ex)
        {
            LogFilesLeft(ex, imageId);
        }

        // Failures stay queued for the next pass (the sweep's or reconciliation's). The delete has
        // committed: whatever the collection meets (a database or store that went away), the answer
        // stays 204, never a 503 that a retry would turn into a 404.
        try
        {
            await images.CollectUnreferencedOriginalsAsync(CancellationToken.None);
        }
#pragma warning disable CA1031 // Any failure here only postpones the collection, which is queued in the database.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogCollectionPostponed(ex, imageId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleted image {ImageId}: collecting unreferenced originals failed; the next sweep or reconciliation collects them")]
    private partial void LogCollectionPostponed(Exception exception, Guid imageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not delete the thumbnail or renditions of deleted image {ImageId}; reconciliation removes them later")]
    private partial void LogFilesLeft(Exception exception, Guid imageId);
}
