using Images.Domain.Images;

namespace Images.Application.Abstractions;

/// <summary>One configured rendition (IMG_RENDITIONS): a name and the longest side in pixels.</summary>
public sealed record RenditionSize(string Name, int MaxSide);

/// <summary>An encoded file of a rendition and how long its encoder took.</summary>
public sealed record EncodedFile(ReadOnlyMemory<byte> Bytes, TimeSpan EncodeTime);

/// <summary>One rendition, encoded in every format made for it (FR-8.2).</summary>
public sealed record EncodedRendition(string Name, int Width, int Height, IReadOnlyDictionary<RenditionFormat, EncodedFile> Files);

/// <summary>
/// What one decode of an original made (FR-8.1): its metadata and every rendition, in the order
/// asked. <see cref="Colour"/> says what happened to an embedded ICC profile (none, srgb,
/// converted, unavailable, ignored, kept: the managed path cannot convert), and
/// <see cref="Unavailable"/> names formats that could not be made here (AVIF without libavif).
/// </summary>
public sealed record RenditionSet(
    ImageMetadata Metadata,
    IReadOnlyList<EncodedRendition> Renditions,
    string Colour,
    IReadOnlyList<RenditionFormat> Unavailable)
{
    /// <summary>FR-9.1/FR-9.2: the small image insight is computed from (no second decode); null if the processor made none.</summary>
    public PixelSample? Sample { get; init; }
}
