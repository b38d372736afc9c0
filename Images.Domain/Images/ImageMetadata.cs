namespace Images.Domain.Images;

/// <summary>What processing learns about an original (FR-2.2).</summary>
public sealed record ImageMetadata(int Width, int Height, ImageFormat Format, int Channels, bool HasAlpha)
{
    public long PixelCount => (long)Width * Height;
}
