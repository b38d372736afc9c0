using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Images.Application.Webhooks;

/// <summary>
/// Standard Webhooks signatures (FR-10.2, https://www.standardwebhooks.com): the secret is
/// <c>whsec_</c> + base64 of random bytes; the signature is <c>v1,</c> + base64 of
/// HMAC-SHA256(key = those bytes, <c>{webhook-id}.{webhook-timestamp}.{body}</c>).
/// </summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    /// <summary>24 random bytes (the specification asks for 24 to 64).</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    public static string MessageId(Guid eventId) => "msg_" + eventId.ToString("N", CultureInfo.InvariantCulture);

    public static string Sign(string secret, string messageId, long timestamp, string body)
    {
        if (!secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException("A webhook secret starts with whsec_.", nameof(secret));
        }

        var key = Convert.FromBase64String(secret[SecretPrefix.Length..]);
        var content = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{messageId}.{timestamp}.{body}"));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }

    /// <summary>The three headers of one attempt.</summary>
    public static IReadOnlyDictionary<string, string> Headers(string secret, string messageId, long timestamp, string body) =>
        new Dictionary<string, string>
        {
            [IdHeader] = messageId,
            [TimestampHeader] = timestamp.ToString(CultureInfo.InvariantCulture),
            [SignatureHeader] = Sign(secret, messageId, timestamp, body),
        };
}
