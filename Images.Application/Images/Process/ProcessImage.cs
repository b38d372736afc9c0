using System.Diagnostics;
using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;
using Microsoft.Extensions.Logging;

namespace Images.Application.Images.Process;

/// <summary>FR-2.4/FR-2.6: processes one image; a bad image ends <c>failed</c> with its reason, never an exception.</summary>
public sealed class ProcessImageHandler(
    IImageRepository images,
    IBlobStore blobs,
    IImageProcessor processor,
    ProcessingGate gate,
    ImagesMetrics metrics,
    TimeProvider clock,
    ILogger<ProcessImageHandler> logger)
{
    /// <summary>Returns the image's state afterwards, or null when no such image exists.</summary>
    public async Task<Image?> HandleAsync(Guid imageId, CancellationToken cancellationToken)
    {
        var image = await images.GetAsync(imageId, cancellationToken);
        if (image is null)
        {
            return null;
        }

        // Idempotent: a completed image is done, and one that another worker holds is left to it.
        if (image.Status is ImageStatus.Completed or ImageStatus.Processing)
        {
            return image;
        }

        // Take a slot before claiming the image, so waiting images stay pending, not processing.
        using var slot = await gate.EnterAsync(cancellationToken);
        image.StartProcessing(clock.GetUtcNow());
        switch (await images.UpdateAsync(image, cancellationToken))
        {
            case SaveResult.Gone:
                return null;
            case SaveResult.Conflict:
                return await images.GetAsync(imageId, cancellationToken);
        }

        var started = Stopwatch.GetTimestamp();
        metrics.Started();
        try
        {
            var metadata = await CreateThumbnailAsync(image, cancellationToken);
            image.Complete(metadata, clock.GetUtcNow());
            logger.LogInformation(
                "Processed image {ImageId} ({Format} {Width}x{Height}) in {ElapsedMs:F1} ms",
                image.Id, metadata.Format, metadata.Width, metadata.Height, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: give the image back instead of leaving it in processing.
            image.Release(clock.GetUtcNow());
            await images.UpdateAsync(image, CancellationToken.None);
            throw;
        }
        catch (ImageProcessingException ex)
        {
            logger.LogWarning(ex, "Image {ImageId} failed processing", image.Id);
            image.Fail(ex.Message, clock.GetUtcNow());
        }
#pragma warning disable CA1031 // FR-2.6: whatever goes wrong with one image must not take the process down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            logger.LogError(ex, "Unexpected error while processing image {ImageId}", image.Id);
            image.Fail($"Processing error: {ex.GetType().Name}.", clock.GetUtcNow());
        }

        finally
        {
            metrics.Finished(image.Status.ToContract(), image.Format.ContractName(), Stopwatch.GetElapsedTime(started));
        }

        var saved = await images.UpdateAsync(image, CancellationToken.None);
        if (saved == SaveResult.Gone)
        {
            // Deleted while we worked (retention): drop the thumbnail we just wrote.
            blobs.DeleteThumbnail(image.Id);
            return null;
        }

        return image;
    }

    private async Task<ImageMetadata> CreateThumbnailAsync(Image image, CancellationToken cancellationToken)
    {
        await using var original = blobs.OpenOriginal(image.ContentHash)
            ?? throw new ImageProcessingException("The original file is missing from storage.");

        ImageMetadata? metadata = null;
        await blobs.WriteThumbnailAsync(
            image.Id,
            async (thumbnail, ct) => metadata = await processor.CreateThumbnailAsync(original, image.Format, thumbnail, ct),
            cancellationToken);
        return metadata!;
    }
}
