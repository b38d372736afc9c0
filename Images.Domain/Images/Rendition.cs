namespace Images.Domain.Images;

/// <summary>The encoded formats of a rendition (FR-8.2).</summary>
public enum RenditionFormat
{
    Jpeg,
    Webp,
    Avif,
    Png,
}

/// <summary>
/// One named size of a processed image (FR-8.1): longest side at most the configured one, in the
/// formats that were made for it (JPEG and WebP always, AVIF where the encoder is present, PNG for
/// images with alpha).
/// </summary>
public sealed record Rendition(string Name, int Width, int Height, IReadOnlyList<RenditionFormat> Formats)
{
    /// <summary>The rendition that <c>download?thumbnail=true</c> serves as JPEG (FR-3.3, FR-8.2).</summary>
    public const string Thumbnail = "thumbnail";

    public bool Has(RenditionFormat format) => Formats.Contains(format);
}

public static class RenditionFormatExtensions
{
    /// <summary>The contract's lower-case name (jpeg|webp|avif|png), as in <c>?format=</c> and <c>formats</c>.</summary>
    public static string ContractName(this RenditionFormat format) => format switch
    {
        RenditionFormat.Jpeg => "jpeg",
        RenditionFormat.Webp => "webp",
        RenditionFormat.Avif => "avif",
        RenditionFormat.Png => "png",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    public static string ContentType(this RenditionFormat format) => "image/" + format.ContractName();

    public static string Extension(this RenditionFormat format) => format == RenditionFormat.Jpeg ? "jpg" : format.ContractName();

    public static RenditionFormat? Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "jpeg" or "jpg" => RenditionFormat.Jpeg,
        "webp" => RenditionFormat.Webp,
        "avif" => RenditionFormat.Avif,
        "png" => RenditionFormat.Png,
        _ => null,
    };
}
