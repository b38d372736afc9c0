using Images.Domain.Images;

namespace Images.Application.Abstractions;

/// <summary>
/// Decodes an original, learns its metadata and writes its thumbnail (FR-2.1, FR-2.2). Implementations
/// throw <see cref="Common.ImageProcessingException"/> with a reason for any input they cannot handle,
/// and stop when the token is cancelled (the time budget of NFR-8).
/// </summary>
public interface IImageProcessor
{
    /// <summary>
    /// Reads the header only and says what decoding would cost with the decoder that will run (NFR-8):
    /// nothing is decoded and nothing large is allocated. The stream is left at its start.
    /// </summary>
    Task<DecodePlan> PlanAsync(Stream original, ImageFormat format, CancellationToken cancellationToken);

    Task<ImageMetadata> CreateThumbnailAsync(Stream original, ImageFormat format, Stream thumbnail, CancellationToken cancellationToken);

    /// <summary>
    /// FR-8.1/FR-8.2: decodes the original once and makes every rendition of <paramref name="sizes"/>
    /// (the largest first reduced, the others from it), oriented, stripped of metadata, in sRGB where
    /// the implementation can convert, as JPEG (flattened on white), WebP, AVIF (where the encoder
    /// is present) and, for images with alpha, PNG. The JPEG of <see cref="Rendition.Thumbnail"/> is
    /// what <see cref="CreateThumbnailAsync"/> makes at that size (FR-8.2: the thumbnail stays what
    /// it was). <see cref="PlanAsync"/> plans this call.
    /// </summary>
    Task<RenditionSet> CreateRenditionsAsync(Stream original, ImageFormat format, IReadOnlyList<RenditionSize> sizes, CancellationToken cancellationToken);
}
