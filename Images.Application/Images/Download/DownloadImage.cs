using Images.Application.Abstractions;
using Images.Application.Common;

namespace Images.Application.Images.Download;

public sealed record DownloadResult(Stream Content, string ContentType, string FileName);

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
            return stream is null
                ? throw new NotFoundException(
                    $"The thumbnail of image {imageId} is not available yet (status: {image.Status.ToContract()}); retry once processing has completed.")
                : new DownloadResult(stream, "image/jpeg", Path.GetFileNameWithoutExtension(image.Filename) + "_thumb.jpg");
        }

        var original = blobs.OpenOriginal(image.ContentHash)
            ?? throw new NotFoundException($"The original of image {imageId} is missing from storage.");
        return new DownloadResult(original, image.ContentType, image.Filename);
    }
}
