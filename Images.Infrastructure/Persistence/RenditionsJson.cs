using System.Text.Json;
using Images.Domain.Images;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Images.Infrastructure.Persistence;

/// <summary>
/// The images.renditions column (jsonb): <c>[{"name","width","height","formats":["jpeg",...]}]</c>,
/// the shape the resource shows (FR-8.3). A column rather than a table: the list is written once,
/// with the outcome, and always read with its image.
/// </summary>
internal static class RenditionsJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static readonly ValueConverter<List<Rendition>, string> Converter = new(
        renditions => Serialize(renditions),
        json => Deserialize(json));

    public static readonly ValueComparer<List<Rendition>> Comparer = new(
        (a, b) => Serialize(a!) == Serialize(b!),
        list => Serialize(list).GetHashCode(StringComparison.Ordinal),
        list => Deserialize(Serialize(list)));

    private static string Serialize(List<Rendition> renditions) => JsonSerializer.Serialize(
        renditions.Select(r => new Row(r.Name, r.Width, r.Height, [.. r.Formats.Select(f => f.ContractName())])), Options);

    private static List<Rendition> Deserialize(string json) =>
        [.. (JsonSerializer.Deserialize<Row[]>(json, Options) ?? [])
            .Select(r => new Rendition(r.Name, r.Width, r.Height, [.. r.Formats.Select(f => RenditionFormatExtensions.Parse(f)).OfType<RenditionFormat>()]))];

    private sealed record Row(string Name, int Width, int Height, string[] Formats);
}
