using System.Text.Json;

namespace Images.Tests.Support;

/// <summary>
/// Images whose time-to-live has passed (FR-4.1), made through the real upload path: uploaded with
/// ttl_hours=1, processed, then moved two hours into the past in the database, so that they are
/// expired by the real clock that the hosts' sweeps (and their schedules) read.
/// </summary>
public static class ExpiringImages
{
    /// <summary>Uploads <paramref name="count"/> small PNGs with distinct bytes and ttl_hours=1; returns their ids once each is completed.</summary>
    public static async Task<List<string>> UploadAsync(HttpClient client, int count, int seed)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(await UploadAsync(client, TestImages.Png(24, 16, seed: seed + i), ttlHours: 1));
        }

        foreach (var id in ids)
        {
            await client.WaitForStatusAsync(id, TimeSpan.FromSeconds(30), "completed");
        }

        return ids;
    }

    /// <summary>Uploads one PNG (with a TTL when given) and returns its id; the caller waits for it.</summary>
    public static async Task<string> UploadAsync(HttpClient client, byte[] png, int? ttlHours)
    {
        JsonElement image = ttlHours is { } ttl
            ? await client.UploadAsync(png, "image/png", ("ttl_hours", ttl.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            : await client.UploadAsync(png, "image/png");
        return image.GetProperty("id").GetString()!;
    }

    /// <summary>The SQL that moves the given images two hours back: created and expired in the past.</summary>
    public static string ExpireSql(IEnumerable<string> ids) =>
        "UPDATE images SET created_at = created_at - interval '2 hours', expires_at = expires_at - interval '2 hours' " +
        $"WHERE id IN ({string.Join(", ", ids.Select(id => $"'{Guid.Parse(id)}'"))})";

    /// <summary>Every file under <paramref name="directory"/> (originals or thumbnails of a store), or none.</summary>
    public static string[] Files(string directory) =>
        Directory.Exists(directory) ? Directory.GetFiles(directory, "*", SearchOption.AllDirectories) : [];
}
