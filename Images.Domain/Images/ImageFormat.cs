namespace Images.Domain.Images;

/// <summary>The four accepted formats (FR-1.1).</summary>
public enum ImageFormat
{
    Jpeg,
    Png,
    Webp,
    Tiff,
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
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>The upper-case name used by the HTTP contract (JPEG|PNG|WEBP|TIFF).</summary>
    public static string ContractName(this ImageFormat format) => format.ToString().ToUpperInvariant();

    /// <summary>
    /// Maps a declared MIME type to a format. Returns null for types that are not one of ours;
    /// common aliases (image/jpg, image/pjpeg, image/x-png, image/tif) are accepted.
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
            _ => null,
        };
    }
}
