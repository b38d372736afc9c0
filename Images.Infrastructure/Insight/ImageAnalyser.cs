using Images.Application.Abstractions;
using Images.Domain.Images;

namespace Images.Infrastructure.Insight;

/// <summary>FR-9.1 to FR-9.3 (ADR 14): pure computations over the renditions' sample and the container's EXIF bytes.</summary>
internal sealed class ImageAnalyser : IImageAnalyser
{
    public ImageInsight Analyse(PixelSample sample, ExifSummary? exif)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var placeholder = Convert.ToBase64String(ThumbHash.Encode(sample.Width, sample.Height, sample.Rgba));
        return new ImageInsight(
            placeholder,
            DominantColour.Compute(sample.Width, sample.Height, sample.Rgba),
            PerceptualHash.Compute(sample.Width, sample.Height, sample.Rgba),
            exif);
    }

    /// <summary>A stream that cannot seek (an object store's) is read for its first bytes only: EXIF in them is found.</summary>
    public const int UnseekablePrefixBytes = 1024 * 1024;

    public async Task<ExifSummary?> ReadExifAsync(Stream original, ImageFormat format, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(original);
        cancellationToken.ThrowIfCancellationRequested();
        var source = original;
        MemoryStream? prefix = null;
        if (!original.CanSeek)
        {
            var buffer = new byte[UnseekablePrefixBytes];
            var read = await original.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
            source = prefix = new MemoryStream(buffer, 0, read, writable: false);
        }

        await using (prefix)
        {
            try
            {
                return ExifReader.Read(source, format);
            }
            catch (Exception ex) when (ex is ArgumentException or OverflowException or EndOfStreamException or InvalidOperationException)
            {
                // NFR-7: a hostile block is no reason to fail the image; it simply has no EXIF facts.
                return null;
            }
        }
    }
}
