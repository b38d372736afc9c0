namespace Images.Domain.Images;

/// <summary>What processing learns about an original (FR-2.2); <paramref name="Frames"/>: frames or pages in the container (FR-8.6), 1 for a still image.</summary>
public sealed record ImageMetadata(int Width, int Height, ImageFormat Format, int Channels, bool HasAlpha, int Frames = 1)
{
    public long PixelCount => (long)Width * Height;
}
