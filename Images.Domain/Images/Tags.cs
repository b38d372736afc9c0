using Images.Domain.Common;

namespace Images.Domain.Images;

/// <summary>Tag rules (FR-1.5): at most 20, each non-empty and at most 64 characters.</summary>
public static class Tags
{
    public const int MaxCount = 20;
    public const int MaxLength = 64;

    /// <summary>True when <paramref name="value"/> holds a control character (NUL, a line break...), which no tag or filename search may.</summary>
    public static bool HasControlCharacter(string value) => value.Any(char.IsControl);

    /// <summary>Trims, drops duplicates (keeping order) and validates; throws on a broken rule.</summary>
    public static IReadOnlyList<string> Normalize(IEnumerable<string> raw)
    {
        var tags = new List<string>();
        foreach (var value in raw)
        {
            var tag = value.Trim();
            if (tag.Length == 0)
            {
                throw new DomainValidationException("tags", "Tags must be non-empty strings.");
            }

            if (tag.Length > MaxLength)
            {
                throw new DomainValidationException("tags", $"A tag is at most {MaxLength} characters; '{tag[..16]}...' has {tag.Length}.");
            }

            if (HasControlCharacter(tag))
            {
                throw new DomainValidationException("tags", "A tag cannot contain control characters (such as NUL or a line break).");
            }

            if (!tags.Contains(tag, StringComparer.Ordinal))
            {
                tags.Add(tag);
            }
        }

        if (tags.Count > MaxCount)
        {
            throw new DomainValidationException("tags", $"At most {MaxCount} tags are allowed; got {tags.Count}.");
        }

        return tags;
    }
}
