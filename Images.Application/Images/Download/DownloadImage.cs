using Images.Application.Abstractions;
using Images.Application.Common;

namespace Images.Application.Images.Download;

/// <summary>
/// What a download streams, with what HTTP caching needs to validate it (FR-8.4):
/// <paramref name="LastModified"/> is when this representation came to be (the upload for an
/// original, the completed processing for a thumbnail); <paramref name="Sha256"/> is the SHA-256 of
/// the bytes when it is known without reading them (an original's content hash), null otherwise
/// (a thumbnail: the HTTP layer hashes the bytes it sends).
/// </summary>
public sealed record DownloadResult(Stream Content, string ContentType, string FileName, DateTimeOffset LastModified, string? Sha256 = null);

/// <summary>FR-3.2/FR-3.3: streams the original, or the thumbnail when it exists.</summary>
public sealed class DownloadImageHandler(IImageRepository images, IBlobStore blobs)
{
    public async Task<DownloadResult> HandleAsync(Guid imageId, bool thumbnail, CancellationToken cancellationToken)
    {
        var image = await images.GetAsync(imageId, cancellationToken)
            ?? throw new NotFoundException($"Image {imageId} not found.");

        if (thumbnail)
        {
            var stream = image.ThumbnailAvailable ? blobs.OpenThumbnail(image.Id) : null;
            // A thumbnail exists once the image completed, and a completed image is final (FR-2.3):
            // its updated_at is when the thumbnail was made.
            return stream is null
                ? throw new NotFoundException(
                    $"The thumbnail of image {imageId} is not available yet (status: {image.Status.ToContract()}); retry once processing has completed.")
                : new DownloadResult(stream, "image/jpeg", Path.GetFileNameWithoutExtension(image.Filename) + "_thumb.jpg", image.UpdatedAt);
        }

        var original = blobs.OpenOriginal(image.ContentHash)
            ?? throw new NotFoundException($"The original of image {imageId} is missing from storage.");
        // Content-addressed (FR-1.7): the bytes are exactly those the hash names, for the record's whole life.
        return new DownloadResult(original, image.ContentType, image.Filename, image.CreatedAt, image.ContentHash.Value);
    }
}
