using System.Net;
using Images.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Images.Tests.Api;

public sealed class RetentionFixture : ApiFixture
{
    public FakeTimeProvider TestClock { get; } = new(DateTimeOffset.UtcNow);

    protected override TimeProvider? Clock => TestClock;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["IMG_RETENTION_BATCH_SIZE"] = "2" };
}

/// <summary>FR-4 through the HTTP pipeline, with a clock the test moves.</summary>
public class RetentionEndpointTests(RetentionFixture api) : IClassFixture<RetentionFixture>
{
    private readonly HttpClient _client = api.Client;

    [Fact]
    public async Task SweepDeletesExpiredImagesThumbnailsAndUnsharedOriginalsOnly_FR4_1_FR4_2_FR4_3()
    {
        var shared = TestImages.Jpeg(300, 200, seed: 31);
        var expiring = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var image = await _client.UploadAsync(TestImages.Png(80, 60, seed: 300 + i), "image/png", ("ttl_hours", "1"));
            expiring.Add(image.GetProperty("id").GetString()!);
        }

        var expiringShared = (await _client.UploadAsync(shared, "image/jpeg", ("ttl_hours", "1"))).GetProperty("id").GetString()!;
        var keeper = (await _client.UploadAsync(shared, "image/jpeg")).GetProperty("id").GetString()!;
        var longLived = (await _client.UploadAsync(TestImages.Webp(64, 64, seed: 32), "image/webp", ("ttl_hours", "8760"))).GetProperty("id").GetString()!;
        foreach (var id in expiring.Append(expiringShared).Append(keeper))
        {
            await _client.WaitForStatusAsync(id, TimeSpan.FromSeconds(30), "completed");
        }

        var early = await _client.PostJsonAsync("/api/v1/retention/sweep");
        Assert.Equal(0, early.GetProperty("deleted_count").GetInt32());

        api.TestClock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        var sweep = await _client.PostJsonAsync("/api/v1/retention/sweep");

        Assert.Equal(6, sweep.GetProperty("deleted_count").GetInt32());
        Assert.Equal(0, sweep.GetProperty("errors").GetInt32());
        foreach (var id in expiring.Append(expiringShared))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/v1/images/{id}")).StatusCode);
            Assert.False(File.Exists(Path.Combine(api.Factory.StorageDirectory, "thumbnails", id.Replace("-", "", StringComparison.Ordinal)[..2], id.Replace("-", "", StringComparison.Ordinal) + ".jpg")));
        }

        using var original = await _client.GetAsync($"/api/v1/images/{keeper}/download");
        Assert.Equal(shared, await original.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/api/v1/images/{longLived}")).StatusCode);
        Assert.Equal(2, api.StoredOriginals().Length);

        var again = await _client.PostJsonAsync("/api/v1/retention/sweep");
        Assert.Equal(0, again.GetProperty("deleted_count").GetInt32());
    }
}
