using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Images.Application.Common;

namespace Images.Application.Images.Upload;

/// <summary>
/// An upload's Idempotency-Key (FR-9.4, ADR 13) and the scope it lives in: the credential the
/// request presented (every holder of the API key may read every image anyway), or one shared scope
/// when the Api runs without a key. A key is 1-255 visible ASCII characters; the draft's quoted
/// form (an RFC 8941 sf-string, <c>"abc"</c>) and the bare form are the same key.
/// </summary>
public sealed record IdempotencyKey(string Scope, string Value)
{
    public const string Header = "Idempotency-Key";
    public const int MaxLength = 255;
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    /// <summary>Null when the header is absent; a 422 when it is malformed.</summary>
    public static IdempotencyKey? Parse(IReadOnlyList<string> headerValues, string scope)
    {
        if (headerValues.Count == 0)
        {
            return null;
        }

        if (headerValues.Count > 1)
        {
            throw new ValidationException(Header, "Send one Idempotency-Key header.");
        }

        var value = headerValues[0].Trim();
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            value = value[1..^1];
        }

        if (value.Length == 0)
        {
            throw new ValidationException(Header, "The Idempotency-Key is empty.");
        }

        if (value.Length > MaxLength)
        {
            throw new ValidationException(Header, $"The Idempotency-Key is longer than {MaxLength} characters.");
        }

        if (value.Any(c => c is < '!' or > '~' || c == '"' || c == '\\'))
        {
            throw new ValidationException(Header, "The Idempotency-Key may hold visible ASCII characters only (no spaces, quotes or backslashes).");
        }

        return new IdempotencyKey(scope, value);
    }

    /// <summary>A scope named by the credential's hash (never the credential itself), or "public".</summary>
    public static string ScopeOf(string? credential) =>
        string.IsNullOrEmpty(credential) ? "public" : "key:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(credential)))[..32];

    /// <summary>
    /// What makes two uploads "the same request": the bytes (their SHA-256), the filename, the tags
    /// and the TTL. Not the multipart boundary or the part order, which a client's retry may change.
    /// </summary>
    public static string Fingerprint(UploadImageCommand command)
    {
        var text = string.Join(
            '\n',
            command.File.Blob.Hash.Value,
            command.File.Filename ?? string.Empty,
            command.File.Format.ToString(),
            string.Join('\u001f', command.Tags),
            command.TtlHours?.ToString(CultureInfo.InvariantCulture) ?? string.Empty);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
