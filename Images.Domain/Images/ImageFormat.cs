namespace Images.Domain.Images;

/// <summary>The accepted formats (FR-1.1; GIF, HEIC/HEIF and AVIF since FR-8.6).</summary>
public enum ImageFormat
{
    Jpeg,
    Png,
    Webp,
    Tiff,
    Gif,

    /// <summary>HEIC and other HEIF images (HEVC-coded, decoded by libheif).</summary>
    Heic,
    Avif,
}

public static class ImageFormatExtensions
{
    /// <summary>The canonical MIME type stored and served for a format.</summary>
    public static string ContentType(this ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => "image/jpeg",
        ImageFormat.Png => "image/png",
        ImageFormat.Webp => "image/webp",
        ImageFormat.Tiff => "image/tiff",
        ImageFormat.Gif => "image/gif",
        ImageFormat.Heic => "image/heic",
        ImageFormat.Avif => "image/avif",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>The upper-case name used by the HTTP contract (JPEG|PNG|WEBP|TIFF|GIF|HEIC|AVIF).</summary>
    public static string ContractName(this ImageFormat format) => format.ToString().ToUpperInvariant();

    /// <summary>
    /// Maps a declared MIME type to a format. Returns null for types that are not one of ours;
    /// common aliases (image/jpg, image/pjpeg, image/x-png, image/tif, image/heif, the -sequence
    /// types of HEIF and AVIF) are accepted.
    /// </summary>
    public static ImageFormat? FromContentType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        var mediaType = contentType.Split(';', 2)[0].Trim().ToLowerInvariant();
        return mediaType switch
        {
            "image/jpeg" or "image/jpg" or "image/pjpeg" => ImageFormat.Jpeg,
            "image/png" or "image/x-png" => ImageFormat.Png,
            "image/webp" => ImageFormat.Webp,
            "image/tiff" or "image/tif" or "image/x-tiff" => ImageFormat.Tiff,
            "image/gif" => ImageFormat.Gif,
            "image/heic" or "image/heif" or "image/heic-sequence" or "image/heif-sequence" => ImageFormat.Heic,
            "image/avif" or "image/avif-sequence" => ImageFormat.Avif,
            _ => null,
        };
    }
}
