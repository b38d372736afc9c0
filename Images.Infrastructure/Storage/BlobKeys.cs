using Images.Application.Abstractions;
using Images.Domain.Images;

namespace Images.Infrastructure.Storage;

/// <summary>
/// The one key scheme of both stores: relative paths on the file system, object keys in a bucket
/// (FR-1.7, FR-11.1). Originals are content-addressed, <c>originals/ab/cd/&lt;sha256&gt;</c>;
/// thumbnails are per image, <c>thumbnails/ab/&lt;id without dashes&gt;.jpg</c>; derived files
/// (renditions, ADR 12) are <c>derived/ab/&lt;derived key&gt;</c>, where the derived key is the
/// port's (<see cref="DerivedKeys"/>: <c>&lt;id&gt;/preview-1024x683.webp</c>) and <c>ab</c> its
/// first two characters, so an image's files share one prefix (<see cref="DerivedFolder"/>), which
/// both stores delete and list by. Each store gets its keys through these calls without knowing the
/// layout.
/// </summary>
public static class BlobKeys
{
    public const string OriginalsPrefix = "originals/";
    public const string ThumbnailsPrefix = "thumbnails/";
    public const string DerivedPrefix = "derived/";
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

    /// <summary>The blob key of a derived file; throws for a key that is not one (see <see cref="IsDerivedKey"/>).</summary>
    public static string Derived(string key) =>
        IsDerivedKey(key, folder: false) ? $"{DerivedPrefix}{key[..2]}/{key}" : throw new ArgumentException($"'{key}' is not a derived file key.", nameof(key));

    /// <summary>
    /// The blob key prefix under which every derived file whose key starts with
    /// <paramref name="prefix"/> lies: an image's <see cref="DerivedKeys.Prefix"/> (ending in '/').
    /// </summary>
    public static string DerivedFolder(string prefix) =>
        prefix.EndsWith('/') && IsDerivedKey(prefix, folder: true)
            ? $"{DerivedPrefix}{prefix[..2]}/{prefix}"
            : throw new ArgumentException($"'{prefix}' is not a derived file prefix (an image's id and '/').", nameof(prefix));

    /// <summary>The derived key a blob key (relative to the store's root) names; false for anything else.</summary>
    public static bool TryParseDerived(string blobKey, out string key)
    {
        key = string.Empty;
        if (!blobKey.StartsWith(DerivedPrefix, StringComparison.Ordinal) || blobKey.Length < DerivedPrefix.Length + 4 || blobKey[DerivedPrefix.Length + 2] != '/')
        {
            return false;
        }

        var candidate = blobKey[(DerivedPrefix.Length + 3)..];
        if (!IsDerivedKey(candidate, folder: false) || !candidate.StartsWith(blobKey.AsSpan(DerivedPrefix.Length, 2), StringComparison.Ordinal))
        {
            return false;
        }

        key = candidate;
        return true;
    }

    /// <summary>
    /// Derived keys are relative paths of lower-case letters, digits, '-', '_', '.' and '/', never
    /// climbing out (<c>..</c>) nor absolute, and (but for a folder) never ending in '/'.
    /// </summary>
    private static bool IsDerivedKey(string key, bool folder) =>
        key.Length >= 3
        && !key.Contains("..", StringComparison.Ordinal)
        && !key.StartsWith('/')
        && !key.Contains("//", StringComparison.Ordinal)
        && (folder || !key.EndsWith('/'))
        && key.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.' or '/');
}
