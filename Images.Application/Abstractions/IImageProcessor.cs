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
}
