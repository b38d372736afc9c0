using System.Globalization;
using Images.Domain.Images;

namespace Images.Application.Abstractions;

/// <summary>
/// Keys of derived files in the blob store (<see cref="IBlobStore.WriteDerivedAsync"/>): every file
/// of an image lies under its id (<c>&lt;id&gt;/</c>), so deleting an image deletes its renditions
/// with one prefix, and reconciliation knows whose a file is. A rendition's key names its size and
/// format (<c>&lt;id&gt;/preview-1024x683.webp</c>): a file written once, never replaced by other
/// bytes under the same key, so it is never served stale (an image is processed to completion once;
/// a new size configured later is a new key).
/// </summary>
public static class DerivedKeys
{
    public static string Prefix(Guid imageId) => imageId.ToString("N", CultureInfo.InvariantCulture) + "/";

    public static string Rendition(Guid imageId, Rendition rendition, RenditionFormat format) =>
        Rendition(imageId, rendition.Name, rendition.Width, rendition.Height, format);

    public static string Rendition(Guid imageId, string name, int width, int height, RenditionFormat format) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix(imageId)}{name}-{width}x{height}.{format.Extension()}");

    /// <summary>The image a key belongs to, or null when it is not one of these keys.</summary>
    public static Guid? Owner(string key) =>
        key.Length > 33 && key[32] == '/' && Guid.TryParseExact(key.AsSpan(0, 32), "N", out var id) ? id : null;
}
