using Images.Application.Abstractions;
using Images.Application.Common;

namespace Images.Application.Images.Download;

/// <summary>
/// What a download answers, with what HTTP caching needs to validate it (FR-8.4): the bytes as a
/// stream (<see cref="Content"/>), or, when the store hands out presigned URLs and the caller allows
/// it (IMG_S3_PRESIGNED_DOWNLOADS), the address to redirect the client to (<see cref="Redirect"/>);
/// exactly one of them is set. <paramref name="LastModified"/> is when this representation came to
/// be (the upload for an original, the completed processing for a thumbnail);
/// <paramref name="Sha256"/> is the SHA-256 of the bytes when it is known without reading them (an
/// original's content hash), null otherwise (a thumbnail: the HTTP layer hashes the bytes it sends).
/// </summary>
public sealed record DownloadResult(Stream? Content, Uri? Redirect, string ContentType, string FileName, DateTimeOffset LastModified, string? Sha256 = null);

/// <summary>
/// FR-3.2/FR-3.3: streams the original, or the thumbnail when it exists, or, when
/// <paramref name="allowRedirect"/> and the store offers one, redirects to the store (ADR 11: the
/// HTTP edge streams conditional requests itself).
/// </summary>
public sealed class DownloadImageHandler(IImageRepository images, IBlobStore blobs)
{
    public Task<DownloadResult> HandleAsync(Guid imageId, bool thumbnail, CancellationToken cancellationToken) =>
        HandleAsync(imageId, thumbnail, allowRedirect: true, cancellationToken);

    public async Task<DownloadResult> HandleAsync(Guid imageId, bool thumbnail, bool allowRedirect, CancellationToken cancellationToken)
    {
        var image = await images.GetAsync(imageId, cancellationToken)
            ?? throw new NotFoundException($"Image {imageId} not found.");

        if (thumbnail)
        {
            if (!image.ThumbnailAvailable)
            {
                throw ThumbnailNotYet(image);
            }

            // A thumbnail exists once the image completed, and a completed image is final (FR-2.3):
            // its updated_at is when the thumbnail was made.
            var download = BlobDownload.Thumbnail(image.Id, "image/jpeg", Path.GetFileNameWithoutExtension(image.Filename) + "_thumb.jpg");
            if (allowRedirect && await blobs.GetDownloadUriAsync(download, cancellationToken) is { } uri)
            {
                return new DownloadResult(null, uri, download.ContentType, download.FileName, image.UpdatedAt);
            }

            var stream = await blobs.OpenForDownloadAsync(download, cancellationToken) ?? throw ThumbnailNotYet(image);
            return new DownloadResult(stream, null, download.ContentType, download.FileName, image.UpdatedAt);
        }

        var original = BlobDownload.Original(image.ContentHash, image.ContentType, image.Filename);
        if (allowRedirect && await blobs.GetDownloadUriAsync(original, cancellationToken) is { } address)
        {
            return new DownloadResult(null, address, original.ContentType, original.FileName, image.CreatedAt, image.ContentHash.Value);
        }

        var content = await blobs.OpenForDownloadAsync(original, cancellationToken)
            ?? throw new NotFoundException($"The original of image {imageId} is missing from storage.");
        // Content-addressed (FR-1.7): the bytes are exactly those the hash names, for the record's whole life.
        return new DownloadResult(content, null, original.ContentType, original.FileName, image.CreatedAt, image.ContentHash.Value);
    }

    private static NotFoundException ThumbnailNotYet(Domain.Images.Image image) => new(
        $"The thumbnail of image {image.Id} is not available yet (status: {image.Status.ToContract()}); retry once processing has completed.");
}
