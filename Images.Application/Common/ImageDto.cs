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
    int? Frames,
    bool ThumbnailAvailable,
    string? Error,
    IReadOnlyList<RenditionDto> Renditions)
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
        image.Frames,
        image.ThumbnailAvailable,
        image.Error,
        [.. image.Renditions.Select(RenditionDto.From)]);
}

/// <summary>One entry of the resource's <c>renditions</c> (FR-8.3): <c>{"name", "width", "height", "formats"}</c>.</summary>
public sealed record RenditionDto(string Name, int Width, int Height, IReadOnlyList<string> Formats)
{
    public static RenditionDto From(Rendition rendition) =>
        new(rendition.Name, rendition.Width, rendition.Height, [.. rendition.Formats.Select(f => f.ContractName())]);
}
