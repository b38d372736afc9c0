using Images.Application.Abstractions;
using Images.Application.Common;

namespace Images.Application.Images.Download;

/// <summary>
/// What a download answers: the bytes as a stream (<see cref="Content"/>), or, when the store hands
/// out presigned URLs (IMG_S3_PRESIGNED_DOWNLOADS), the address to redirect the client to
/// (<see cref="Redirect"/>); exactly one of them is set.
/// </summary>
public sealed record DownloadResult(Stream? Content, Uri? Redirect, string ContentType, string FileName);

/// <summary>FR-3.2/FR-3.3: streams the original, or the thumbnail when it exists (or redirects to the store).</summary>
public sealed class DownloadImageHandler(IImageRepository images, IBlobStore blobs)
{
    public async Task<DownloadResult> HandleAsync(Guid imageId, bool thumbnail, CancellationToken cancellationToken)
    {
        var image = await images.GetAsync(imageId, cancellationToken)
            ?? throw new NotFoundException($"Image {imageId} not found.");

        if (thumbnail)
        {
            if (!image.ThumbnailAvailable)
            {
                throw ThumbnailNotYet(image);
            }

            var download = BlobDownload.Thumbnail(image.Id, "image/jpeg", Path.GetFileNameWithoutExtension(image.Filename) + "_thumb.jpg");
            if (await blobs.GetDownloadUriAsync(download, cancellationToken) is { } uri)
            {
                return new DownloadResult(null, uri, download.ContentType, download.FileName);
            }

            var stream = await blobs.OpenForDownloadAsync(download, cancellationToken) ?? throw ThumbnailNotYet(image);
            return new DownloadResult(stream, null, download.ContentType, download.FileName);
        }

        var original = BlobDownload.Original(image.ContentHash, image.ContentType, image.Filename);
        if (await blobs.GetDownloadUriAsync(original, cancellationToken) is { } address)
        {
            return new DownloadResult(null, address, original.ContentType, original.FileName);
        }

        var content = await blobs.OpenForDownloadAsync(original, cancellationToken)
            ?? throw new NotFoundException($"The original of image {imageId} is missing from storage.");
        return new DownloadResult(content, null, original.ContentType, original.FileName);
    }

    private static NotFoundException ThumbnailNotYet(Domain.Images.Image image) => new(
        $"The thumbnail of image {image.Id} is not available yet (status: {image.Status.ToContract()}); retry once processing has completed.");
}
