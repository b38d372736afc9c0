using Images.Domain.Images;

namespace Images.Application.Common;

/// <summary>The image resource of the HTTP contract (serialized snake_case).</summary>
public sealed record ImageDto(
    Guid Id,
    string Filename,
    string ContentType,
    long SizeBytes,
    string ContentHash,
    string Status,
    IReadOnlyList<string> Tags,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ExpiresAt,
    int? Width,
    int? Height,
    string Format,
    int? Channels,
    bool? HasAlpha,
    bool ThumbnailAvailable,
    string? Error)
{
    public static ImageDto From(Image image) => new(
        image.Id,
        image.Filename,
        image.ContentType,
        image.SizeBytes,
        image.ContentHash.Value,
        image.Status.ToContract(),
        image.Tags,
        image.CreatedAt,
        image.UpdatedAt,
        image.ExpiresAt,
        image.Width,
        image.Height,
        image.Format.ContractName(),
        image.Channels,
        image.HasAlpha,
        image.ThumbnailAvailable,
        image.Error);
}
