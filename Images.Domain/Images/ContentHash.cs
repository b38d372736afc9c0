using System.Globalization;

namespace Images.Domain.Images;

/// <summary>The full SHA-256 of an original's bytes, as 64 lower-case hex digits (FR-1.7).</summary>
public readonly record struct ContentHash
{
    public const int HexLength = 64;

    private ContentHash(string value) => Value = value;

    public string Value { get; }

    public static ContentHash FromBytes(ReadOnlySpan<byte> sha256)
    {
        if (sha256.Length != 32)
        {
            throw new ArgumentException("A SHA-256 digest is 32 bytes.", nameof(sha256));
        }

        return new ContentHash(Convert.ToHexStringLower(sha256));
    }

    public static ContentHash Parse(string hex)
    {
        if (hex is null || hex.Length != HexLength || !hex.All(char.IsAsciiHexDigit))
        {
            throw new FormatException($"'{hex}' is not a SHA-256 hex digest.");
        }

        return new ContentHash(hex.ToLowerInvariant());
    }

    /// <summary>A stable 64-bit key for locking by hash (the first 8 bytes of the digest).</summary>
    public long LockKey => long.Parse(Value.AsSpan(0, 16), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    public override string ToString() => Value;
}
