namespace Images.Api.Http;

/// <summary>
/// The <c>Cache-Control</c> of a download (FR-8.4, ADR 10). Sent on 200, 206 and 304 alike.
/// </summary>
public sealed record CachePolicy(string CacheControl)
{
    /// <summary>
    /// Originals and thumbnails: <c>private, no-cache</c>. Private, because they are behind the API
    /// key (FR-7.1) and a shared cache keys on the URL alone: it would hand them to anyone asking
    /// without the key. No-cache (store, but ask first), because the image can be swept or expire
    /// (FR-4) and a revalidation is a cheap 304 with the ETag.
    /// </summary>
    public static CachePolicy PrivateRevalidate { get; } = new("private, no-cache");

    /// <summary>
    /// A redirect to an object store's presigned address (ADR 11): the address expires, so neither
    /// the browser nor a proxy may keep the redirect.
    /// </summary>
    public static CachePolicy NoStore { get; } = new("private, no-store");

    /// <summary>Renditions (FR-8.4): content that never changes under its URL, for a year, in any cache.</summary>
    public static CachePolicy Immutable { get; } = new("public, max-age=31536000, immutable");
}
