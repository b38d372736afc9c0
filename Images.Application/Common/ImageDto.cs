using Images.Domain.Images;

namespace Images.Application.Common;

/// <summary>The image resource of the HTTP contract (serialized snake_case). Not sealed: a similar image is one with its distance.</summary>
public record ImageDto(
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
    IReadOnlyList<RenditionDto> Renditions,
    string? Placeholder,
    string? DominantColor,
    string? Phash,
    ExifDto? Exif)
{
    /// <summary>The resource; the EXIF position only when <paramref name="exposeGps"/> (IMG_EXPOSE_GPS, FR-9.3).</summary>
    public static ImageDto From(Image image, bool exposeGps) => new(
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
        [.. image.Renditions.Select(RenditionDto.From)],
        image.Insight?.Placeholder,
        image.Insight?.DominantColor,
        image.Insight?.PerceptualHashHex,
        image.Insight?.Exif is { } exif ? ExifDto.From(exif, exposeGps) : null);
}

/// <summary>The resource's <c>exif</c> (FR-9.3); <c>gps</c> is null unless IMG_EXPOSE_GPS=true.</summary>
public sealed record ExifDto(
    string? Make,
    string? Model,
    string? Lens,
    string? TakenAt,
    double? ExposureTime,
    double? FNumber,
    int? Iso,
    double? FocalLength,
    GpsDto? Gps)
{
    public static ExifDto From(ExifSummary exif, bool exposeGps) => new(
        exif.Make, exif.Model, exif.Lens, exif.TakenAt, exif.ExposureTime, exif.FNumber, exif.Iso, exif.FocalLength,
        exposeGps && exif.Gps is { } gps ? new GpsDto(gps.Lat, gps.Lon, gps.Alt) : null);
}

/// <summary><c>{"lat", "lon", "alt"}</c>: degrees (south and west negative), metres.</summary>
public sealed record GpsDto(double Lat, double Lon, double? Alt);

/// <summary>One entry of the resource's <c>renditions</c> (FR-8.3): <c>{"name", "width", "height", "formats"}</c>.</summary>
public sealed record RenditionDto(string Name, int Width, int Height, IReadOnlyList<string> Formats)
{
    public static RenditionDto From(Rendition rendition) =>
        new(rendition.Name, rendition.Width, rendition.Height, [.. rendition.Formats.Select(f => f.ContractName())]);
}
