using Images.Domain.Images;

namespace Images.Application.Abstractions;

/// <summary>
/// A small RGBA image (at most 100 px on its longest side, display orientation, sRGB, alpha not
/// premultiplied) that the renditions' decode hands back: the only pixels FR-9.1/FR-9.2 read.
/// </summary>
public sealed record PixelSample(int Width, int Height, byte[] Rgba)
{
    public const int MaxSide = 100;
}

/// <summary>
/// FR-9.1 to FR-9.3: the placeholder, dominant colour and perceptual hash of a sample, and the
/// camera facts of an original's EXIF block (read from the container's header bytes only, bounded).
/// </summary>
public interface IImageAnalyser
{
    /// <summary>ThumbHash, dominant colour and pHash of the sample; exif is carried through.</summary>
    ImageInsight Analyse(PixelSample sample, ExifSummary? exif);

    /// <summary>The EXIF facts of the original, or null when it has none or it cannot be read. Never throws for hostile input.</summary>
    Task<ExifSummary?> ReadExifAsync(Stream original, ImageFormat format, CancellationToken cancellationToken);
}
