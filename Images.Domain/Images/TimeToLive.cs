using Images.Domain.Common;

namespace Images.Domain.Images;

/// <summary>Retention rule (FR-1.6): ttl_hours between 1 and 8,760; expires_at = created_at + ttl.</summary>
public static class TimeToLive
{
    public const int MinHours = 1;
    public const int MaxHours = 8760;

    public static DateTimeOffset? ExpiresAt(DateTimeOffset createdAt, int? ttlHours)
    {
        if (ttlHours is null)
        {
            return null;
        }

        if (ttlHours < MinHours || ttlHours > MaxHours)
        {
            throw new DomainValidationException("ttl_hours", $"ttl_hours must be between {MinHours} and {MaxHours}; got {ttlHours}.");
        }

        return createdAt.AddHours(ttlHours.Value);
    }
}
