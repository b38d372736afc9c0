using System.Text.Json;
using Images.Domain.Images;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Images.Infrastructure.Persistence;

/// <summary>
/// The images.exif column (jsonb, FR-9.3): the camera facts, GPS included (whether the resource
/// shows it is decided when it is read, IMG_EXPOSE_GPS), snake_case as the resource shows them.
/// </summary>
internal static class ExifJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static readonly ValueConverter<ExifSummary, string> Converter = new(
        exif => JsonSerializer.Serialize(exif, Options),
        json => JsonSerializer.Deserialize<ExifSummary>(json, Options)!);

    public static readonly ValueComparer<ExifSummary?> Comparer = new(
        (a, b) => Equals(a, b),
        exif => exif == null ? 0 : exif.GetHashCode(),
        exif => exif);
}
