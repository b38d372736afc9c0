using System.Text;
using Images.Application.Common.Settings;

namespace Images.Api;

/// <summary>
/// IMG_URL_SIGNING_KEYS (FR-8.5, ADR 10): comma-separated secrets; the first signs, every one
/// verifies, so a new key is put first and the old one kept behind it until the URLs it signed have
/// expired (at most 7 days). Empty (the default): no signed URLs (the endpoint answers 501).
/// A key is the UTF-8 bytes of its text, at least <see cref="MinimumKeyBytes"/> of them, without
/// whitespace (for example <c>openssl rand -hex 32</c>). Messages about a bad list never repeat a key.
/// </summary>
public sealed class UrlSigningOptions : IImgSettings<UrlSigningOptions>
{
    public const string Variable = "IMG_URL_SIGNING_KEYS";

    /// <summary>The HMAC-SHA256 block is 64 bytes; 32 bytes of randomness is its full strength.</summary>
    public const int MinimumKeyBytes = 32;

    /// <summary>The keys in the order given: index 0 signs.</summary>
    internal IReadOnlyList<byte[]> Keys { get; private set; } = [];

    public bool Enabled => Keys.Count > 0;

    public static void Bind(UrlSigningOptions options, ImgSettingsReader reader)
    {
        // Raw() only: the list readers quote a bad value back in their message, and this one is secret.
        var raw = reader.Raw(Variable);
        if (raw is null)
        {
            options.Keys = [];
            return;
        }

        var entries = raw.Split(',');
        var keys = new List<byte[]>(entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            var key = entries[i].Trim();
            var where = $"{Variable}: key {i + 1} of {entries.Length}";
            if (key.Length == 0)
            {
                reader.Require(false, $"{where} is empty; give the keys comma-separated, with no empty entry (the value is a secret and is not repeated here).");
                continue;
            }

            if (key.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                reader.Require(false, $"{where} contains whitespace or control characters; keys are printable text such as the output of `openssl rand -hex 32`.");
                continue;
            }

            var bytes = Encoding.UTF8.GetBytes(key);
            if (bytes.Length < MinimumKeyBytes)
            {
                reader.Require(false, $"{where} has {bytes.Length} bytes; each key needs at least {MinimumKeyBytes} (for example `openssl rand -hex 32`).");
                continue;
            }

            if (keys.FindIndex(k => k.AsSpan().SequenceEqual(bytes)) is var earlier and >= 0)
            {
                reader.Require(false, $"{where} repeats key {earlier + 1}; each key is given once.");
                continue;
            }

            keys.Add(bytes);
        }

        options.Keys = keys;
    }
}
