using System.Net;
using Images.Tests.Support;
using static Images.Tests.Support.ApiClientExtensions;

namespace Images.Tests.Api;

/// <summary>
/// FR-12.3 through the real HTTP pipeline and PostgreSQL: the list's tag and filename filters (what
/// the console's list uses), and GET /api/v1/stats (its operations view).
/// </summary>
public class ListFilterAndStatsTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly HttpClient _client = api.Client;

    private async Task<string> UploadAsync(string filename, int seed, params string[] tags)
    {
        using var response = await _client.PostAsync("/api/v1/images", UploadForm(TestImages.Png(32, 24, seed: seed), "image/png", filename, [.. tags.Select(t => ("tags", t))]));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task TheListFiltersByTagAndFilenameTogetherAndCountsTheMatches_FR12_3()
    {
        var beach = await UploadAsync("Beach_Day 1.png", 1201, "holiday-fr12", "beach");
        var city = await UploadAsync("city day.png", 1202, "holiday-fr12");
        await UploadAsync("beach-other.png", 1203, "work");

        var tagged = await _client.GetJsonAsync("/api/v1/images?tag=holiday-fr12");
        Assert.Equal(2, tagged.GetProperty("total").GetInt64());
        Assert.Equal([city, beach], tagged.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));

        var both = await _client.GetJsonAsync("/api/v1/images?tag=holiday-fr12&filename=BEACH_day");
        Assert.Equal(1, both.GetProperty("total").GetInt64());
        Assert.Equal(beach, both.GetProperty("items")[0].GetProperty("id").GetString());

        var none = await _client.GetJsonAsync("/api/v1/images?filename=" + Uri.EscapeDataString("%"));
        Assert.Equal(0, none.GetProperty("total").GetInt64());
    }

    [Theory]
    [InlineData("tag=")]
    [InlineData("filename=%20%20")]
    [InlineData("filename=a%00b")]
    [InlineData("tag=x%00")]
    [InlineData("tag=a%0Ab")]
    public async Task AnEmptyFilterOrOneWithControlCharactersIs422_FR12_3(string query)
    {
        using var response = await _client.GetAsync("/api/v1/images?" + query);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
    }

    [Fact]
    public async Task AnUploadWithANulInATagIs422NotAServerError_FR1_5()
    {
        using var response = await _client.PostAsync("/api/v1/images", UploadForm(TestImages.Png(8, 8, seed: 1205), "image/png", "nul.png", ("tags", "bad\0tag")));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("control characters", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFilenameSearchForUnusualTextIsAnsweredNotRefused_FR12_3()
    {
        var page = await _client.GetJsonAsync("/api/v1/images?filename=%FF%FE%E2%80%AE%F0%9F%98%80");
        Assert.Equal(0, page.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task StatsCountImagesPerStatusAndTheProcessedOnesInTheCurrentMinute_FR12_3()
    {
        // Other tests of this class upload too: their images settle first, so that only this one moves the figures.
        var deadline = DateTime.UtcNow + Wait;
        System.Text.Json.JsonElement before;
        while (true)
        {
            before = await _client.GetJsonAsync("/api/v1/stats");
            var counts = before.GetProperty("counts");
            if (counts.GetProperty("pending").GetInt64() + counts.GetProperty("processing").GetInt64() == 0)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"images still pending after {Wait}: {before}");
            await Task.Delay(200);
        }

        var id = await UploadAsync("stats.png", 1204);
        await _client.WaitForStatusAsync(id, Wait, "completed");

        var after = await _client.GetJsonAsync("/api/v1/stats");

        Assert.Equal(
            before.GetProperty("counts").GetProperty("completed").GetInt64() + 1,
            after.GetProperty("counts").GetProperty("completed").GetInt64());
        Assert.Equal(["pending", "processing", "completed", "failed"], after.GetProperty("counts").EnumerateObject().Select(p => p.Name));
        var minutes = after.GetProperty("processed_per_minute").EnumerateArray().ToList();
        Assert.Equal(30, minutes.Count);
        var times = minutes.Select(m => m.GetProperty("minute").GetDateTimeOffset()).ToList();
        Assert.Equal(times.Order(), times);
        Assert.All(times.Zip(times.Skip(1)), pair => Assert.Equal(TimeSpan.FromMinutes(1), pair.Second - pair.First));
        // The completion is in the last minute or, had the minute turned since, the one before.
        var recent = minutes[^1].GetProperty("completed").GetInt64() + minutes[^2].GetProperty("completed").GetInt64();
        var recentBefore = before.GetProperty("processed_per_minute").EnumerateArray().TakeLast(3).Sum(m => m.GetProperty("completed").GetInt64());
        Assert.True(recent >= 1, after.ToString());
        Assert.True(recent <= recentBefore + 1, after.ToString());
        Assert.Equal(0, after.GetProperty("queue_lag_seconds").GetDouble());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, after.GetProperty("oldest_pending_at").ValueKind);
    }
}
