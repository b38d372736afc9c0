using Images.Domain.Images;

namespace Images.Application.Abstractions;

/// <summary>
/// Decodes an original, learns its metadata and writes its thumbnail (FR-2.1, FR-2.2). Implementations
/// throw <see cref="Common.ImageProcessingException"/> with a reason for any input they cannot handle.
/// </summary>
public interface IImageProcessor
{
    /// <summary>Whether this processor takes <paramref name="format"/> (lets a faster one take over per format).</summary>
    bool Supports(ImageFormat format);

    Task<ImageMetadata> CreateThumbnailAsync(Stream original, ImageFormat format, Stream thumbnail, CancellationToken cancellationToken);
}
