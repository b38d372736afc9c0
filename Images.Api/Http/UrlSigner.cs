using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Images.Api.Http;

/// <summary>A signed path and the instant it stops working.</summary>
public sealed record SignedUrl(string Url, DateTimeOffset ExpiresAt);

/// <summary>What a presented signature turned out to be.</summary>
public enum SignatureCheck
{
    Valid,

    /// <summary>Not made by any configured key for exactly this method, path and query (or malformed).</summary>
    Invalid,

    /// <summary>Authentic, but its <c>expires</c> has passed.</summary>
    Expired,
}

/// <summary>IMG_URL_SIGNING_KEYS is empty: POST .../signed-urls answers 501.</summary>
public sealed class SignedUrlsNotConfiguredException()
    : Exception($"Signed URLs are not enabled on this server: {UrlSigningOptions.Variable} is not set.");

/// <summary>
/// Signed URLs (FR-8.5, ADR 10): HMAC-SHA256 over a canonical form of the request,
/// <code>
/// images-signed-url-v1 LF METHOD LF path LF query
/// </code>
/// where path is the decoded request path (case kept) and query is every parameter except
/// <c>sig</c>, <c>expires</c> among them, each name and value percent-encoded (RFC 3986 unreserved
/// characters kept), sorted by name then value, joined with <c>&amp;</c>. The signature is the
/// base64url HMAC (43 characters), compared as text in constant time against the one each key
/// makes, so no second spelling of the same bytes passes. The first key signs; all verify.
/// </summary>
public sealed class UrlSigner(IOptions<UrlSigningOptions> options, TimeProvider clock)
{
    public const string ExpiresParameter = "expires";
    public const string SignatureParameter = "sig";
    public const int MinLifetimeSeconds = 60;
    public const int MaxLifetimeSeconds = 604_800;
    public const int DefaultLifetimeSeconds = 3_600;

    /// <summary>
    /// How far ahead of this replica's clock an <c>expires</c> may lie beyond the longest lifetime:
    /// a replica whose clock runs ahead still signs URLs the others accept; an expiry further out was
    /// not made by a sane signer and is refused.
    /// </summary>
    public const int AllowedClockSkewSeconds = 300;

    private const string Scheme = "images-signed-url-v1";

    private readonly IReadOnlyList<byte[]> _keys = options.Value.Keys;

    public bool Enabled => _keys.Count > 0;

    /// <summary>
    /// Whether a request presents a signature, whole or in part: a <c>sig</c> or <c>expires</c>
    /// parameter, or <c>sig=</c> inside its path (a signed URL whose <c>?</c> was lost or encoded).
    /// Such a request is judged by its signature alone: it verifies, or it is refused with 403.
    /// </summary>
    public static bool PresentsSignature(HttpRequest request) =>
        request.Query.ContainsKey(SignatureParameter)
        || request.Query.ContainsKey(ExpiresParameter)
        || (request.Path.Value?.Contains(SignatureParameter + "=", StringComparison.Ordinal) ?? false);

    /// <summary>
    /// A path fit for a log line: a signed URL whose <c>?</c> was lost or encoded carries its
    /// signature in the path, and a log must not hand out a working credential.
    /// </summary>
    public static string RedactPath(string path)
    {
        var at = path.IndexOf(SignatureParameter + "=", StringComparison.Ordinal);
        return at < 0 ? path : path[..(at + SignatureParameter.Length + 1)] + "(redacted)";
    }

    /// <summary>Signs a GET of <paramref name="path"/> with <paramref name="query"/> for <paramref name="lifetime"/>.</summary>
    public SignedUrl Sign(string path, IReadOnlyList<KeyValuePair<string, string>> query, TimeSpan lifetime)
    {
        if (!Enabled)
        {
            throw new SignedUrlsNotConfiguredException();
        }

        var expires = clock.GetUtcNow().ToUnixTimeSeconds() + (long)lifetime.TotalSeconds;
        List<KeyValuePair<string, string>> parameters = [.. query, new(ExpiresParameter, expires.ToString(CultureInfo.InvariantCulture))];
        var signature = Signature(_keys[0], Canonical(HttpMethods.Get, path, parameters));
        var url = new StringBuilder(path).Append('?');
        foreach (var (name, value) in parameters)
        {
            url.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value)).Append('&');
        }

        url.Append(SignatureParameter).Append('=').Append(signature);
        return new SignedUrl(url.ToString(), DateTimeOffset.FromUnixTimeSeconds(expires));
    }

    /// <summary>Checks the signature of a request that <see cref="PresentsSignature"/>.</summary>
    public SignatureCheck Verify(HttpRequest request)
    {
        if (!Enabled
            || request.Query[SignatureParameter] is not { Count: 1 } signatures
            || request.Query[ExpiresParameter] is not { Count: 1 } expiresValues
            || !TryParseExpires(expiresValues[0], out var expires))
        {
            return SignatureCheck.Invalid;
        }

        var parameters = request.Query
            .Where(p => p.Key != SignatureParameter)
            .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? string.Empty)))
            .ToList();
        var canonical = Canonical(request.Method, request.Path.Value ?? "/", parameters);
        var presented = Encoding.UTF8.GetBytes(signatures[0] ?? string.Empty);

        // Every key is tried, without stopping at a match: the time taken does not say which key matched.
        var match = false;
        foreach (var key in _keys)
        {
            match |= CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Signature(key, canonical)), presented);
        }

        if (!match)
        {
            return SignatureCheck.Invalid;
        }

        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        if (expires > now + MaxLifetimeSeconds + AllowedClockSkewSeconds)
        {
            return SignatureCheck.Invalid;
        }

        return now < expires ? SignatureCheck.Valid : SignatureCheck.Expired;
    }

    /// <summary>The text that is signed; see the class summary.</summary>
    internal static string Canonical(string method, string path, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var query = string.Join('&', parameters
            .Select(p => (Name: Uri.EscapeDataString(p.Key), Value: Uri.EscapeDataString(p.Value)))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + p.Value));
        return string.Join('\n', Scheme, method.ToUpperInvariant(), path, query);
    }

    private static string Signature(byte[] key, string canonical) =>
        Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(canonical)));

    /// <summary>Unix seconds, digits only (no sign, space or leading zero games beyond what was signed).</summary>
    private static bool TryParseExpires(string? value, out long expires)
    {
        expires = 0;
        return value is { Length: > 0 and <= 12 } && value.All(char.IsAsciiDigit)
            && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out expires);
    }
}
