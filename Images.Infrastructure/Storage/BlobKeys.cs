using Images.Domain.Images;

namespace Images.Infrastructure.Storage;

/// <summary>
/// The one key scheme of both stores: relative paths on the file system, object keys in a bucket
/// (FR-1.7, FR-11.1). Originals are content-addressed, <c>originals/ab/cd/&lt;sha256&gt;</c>;
/// thumbnails are per image, <c>thumbnails/ab/&lt;id without dashes&gt;.jpg</c>. A new kind of
/// blob (renditions, say) adds its key, its prefix and its parser here, and each store gets it
/// through <see cref="Original"/>-style calls without knowing the layout.
/// </summary>
public static class BlobKeys
{
    public const string OriginalsPrefix = "originals/";
    public const string ThumbnailsPrefix = "thumbnails/";
    public const string ThumbnailExtension = ".jpg";

    public static string Original(ContentHash hash) =>
        $"{OriginalsPrefix}{hash.Value[..2]}/{hash.Value[2..4]}/{hash.Value}";

    public static string Thumbnail(Guid imageId)
    {
        var id = imageId.ToString("N");
        return $"{ThumbnailsPrefix}{id[..2]}/{id}{ThumbnailExtension}";
    }

    /// <summary>The hash an original's key (or file name) ends with; false for anything else.</summary>
    public static bool TryParseOriginal(string key, out ContentHash hash)
    {
        var name = key[(key.LastIndexOf('/') + 1)..];
        if (name.Length == ContentHash.HexLength && name.All(char.IsAsciiHexDigitLower))
        {
            hash = ContentHash.Parse(name);
            return true;
        }

        hash = default;
        return false;
    }

    /// <summary>The image id a thumbnail's key (or file name) names; false for anything else.</summary>
    public static bool TryParseThumbnail(string key, out Guid imageId)
    {
        var name = key[(key.LastIndexOf('/') + 1)..];
        imageId = Guid.Empty;
        return name.EndsWith(ThumbnailExtension, StringComparison.Ordinal)
            && Guid.TryParseExact(name[..^ThumbnailExtension.Length], "N", out imageId);
    }
}
