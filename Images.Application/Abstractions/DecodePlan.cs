namespace Images.Application.Abstractions;

/// <summary>
/// What a decode would take, from the header: the size as stored, the frames or pages in the
/// container (only the first is decoded), and the working memory of the decoder that will run.
/// </summary>
public sealed record DecodePlan(int Width, int Height, int Frames, long MemoryBytes, string Decoder, string Engine = DecodePlan.Managed)
{
    /// <summary>The <see cref="Engine"/> of the native fast path (NFR-4).</summary>
    public const string Native = "native";

    /// <summary>The <see cref="Engine"/> of the managed processor (ImageSharp).</summary>
    public const string Managed = "managed";

    public long PixelCount => (long)Width * Height;
}
