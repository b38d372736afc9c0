using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Images.Tests.Support;

namespace Images.Tests.Api;

/// <summary>FR-2 and FR-3 through the real HTTP pipeline, with the in-process background workers running.</summary>
public class RetrievalAndProcessingEndpointTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly HttpClient _client = api.Client;

    private static string Id(JsonElement image) => image.GetProperty("id").GetString()!;

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task UploadReachesCompletedWithoutFurtherCalls_FR2_1_FR2_2_FR2_7()
    {
        var image = await _client.UploadAsync(TestImages.Jpeg(1200, 800, seed: 21), "image/jpeg");
        var done = await _client.WaitForStatusAsync(Id(image), Timeout, "completed", "failed");

        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal((1200, 800, 3), (done.GetProperty("width").GetInt32(), done.GetProperty("height").GetInt32(), done.GetProperty("channels").GetInt32()));
        Assert.False(done.GetProperty("has_alpha").GetBoolean());
        Assert.True(done.GetProperty("thumbnail_available").GetBoolean());

        using var thumbnail = await _client.GetAsync($"/api/v1/images/{Id(image)}/download?thumbnail=true");
        Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
        Assert.Equal("image/jpeg", thumbnail.Content.Headers.ContentType!.MediaType);
        using var decoded = TestImages.Decode(await thumbnail.Content.ReadAsByteArrayAsync());
        Assert.Equal((256, 171), (decoded.Width, decoded.Height));
    }

    [Fact]
    public async Task DownloadStreamsTheOriginalWithItsContentType_FR3_2()
    {
        var bytes = TestImages.Webp(300, 300, seed: 22);
        var image = await _client.UploadAsync(bytes, "image/webp");
        using var response = await _client.GetAsync($"/api/v1/images/{Id(image)}/download");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/webp", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task UnknownIdsAre404AndMalformedIdsAre422_FR3_1_FR3_2_FR2_4()
    {
        var unknown = Guid.NewGuid();
        await ProblemAsync(await _client.GetAsync($"/api/v1/images/{unknown}"), HttpStatusCode.NotFound);
        await ProblemAsync(await _client.GetAsync($"/api/v1/images/{unknown}/download"), HttpStatusCode.NotFound);
        await ProblemAsync(await _client.PostAsync($"/api/v1/images/{unknown}/process", null), HttpStatusCode.NotFound);

        var malformed = await ProblemAsync(await _client.GetAsync("/api/v1/images/not-a-uuid"), (HttpStatusCode)422);
        Assert.True(malformed.GetProperty("errors").TryGetProperty("image_id", out _));
        await ProblemAsync(await _client.GetAsync("/api/v1/images/12345/download"), (HttpStatusCode)422);
        await ProblemAsync(await _client.PostAsync("/api/v1/images/%20/process", null), (HttpStatusCode)422);
        await ProblemAsync(await _client.GetAsync($"/api/v1/images/{unknown}/download?thumbnail=maybe"), (HttpStatusCode)422);
    }

    [Fact]
    public async Task ThumbnailOfAnImageWithoutOneIs404WithAClearMessage_FR3_3()
    {
        var image = await _client.UploadAsync(TestImages.TruncatedPng(), "image/png");
        await _client.WaitForStatusAsync(Id(image), Timeout, "failed");

        var problem = await ProblemAsync(await _client.GetAsync($"/api/v1/images/{Id(image)}/download?thumbnail=true"), HttpStatusCode.NotFound);
        Assert.Contains("not available yet", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    public static TheoryData<string> HostileUploads => ["bomb", "truncated-jpeg", "truncated-png", "tiff-zero", "tiff-overflow"];

    [Theory]
    [MemberData(nameof(HostileUploads))]
    public async Task HostileImagesEndFailedWithAReasonAndHarmNoOtherImage_NFR7_FR2_6(string kind)
    {
        var healthy = await _client.UploadAsync(TestImages.Png(200, 100, seed: 23), "image/png");
        var (bytes, type) = kind switch
        {
            "bomb" => (TestImages.PngClaimingGigapixel(), "image/png"),
            "truncated-jpeg" => (TestImages.TruncatedJpeg(), "image/jpeg"),
            "truncated-png" => (TestImages.TruncatedPng(), "image/png"),
            "tiff-zero" => (TestImages.TiffWithDimensions(0, 0), "image/tiff"),
            _ => (TestImages.TiffWithDimensions(uint.MaxValue, uint.MaxValue), "image/tiff"),
        };
        var hostile = await _client.UploadAsync(bytes, type);

        var failed = await _client.WaitForStatusAsync(Id(hostile), Timeout, "failed", "completed");
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.False(string.IsNullOrWhiteSpace(failed.GetProperty("error").GetString()));
        Assert.False(failed.GetProperty("thumbnail_available").GetBoolean());

        var other = await _client.WaitForStatusAsync(Id(healthy), Timeout, "completed", "failed");
        Assert.Equal("completed", other.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task ProcessEndpointProcessesAndIsIdempotent_FR2_4()
    {
        var image = await _client.UploadAsync(TestImages.Tiff(400, 300, seed: 24), "image/tiff");
        var processed = await _client.PostJsonAsync($"/api/v1/images/{Id(image)}/process");
        Assert.Contains(processed.GetProperty("status").GetString(), new[] { "processing", "completed" });

        var done = await _client.WaitForStatusAsync(Id(image), Timeout, "completed");
        var again = await _client.PostJsonAsync($"/api/v1/images/{Id(image)}/process");
        Assert.Equal("completed", again.GetProperty("status").GetString());
        Assert.Equal(done.GetProperty("updated_at").GetString(), again.GetProperty("updated_at").GetString());
    }

    [Fact]
    public async Task FailedImageCanBeProcessedAgainAndFailsAgainWithItsReason_FR2_6()
    {
        var image = await _client.UploadAsync(TestImages.TruncatedJpeg(), "image/jpeg");
        await _client.WaitForStatusAsync(Id(image), Timeout, "failed");
        var retried = await _client.PostJsonAsync($"/api/v1/images/{Id(image)}/process");
        Assert.Equal("failed", retried.GetProperty("status").GetString());
        Assert.Contains("truncated", retried.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BatchReportsEveryIdsOutcome_FR2_5()
    {
        var good = await _client.UploadAsync(TestImages.Jpeg(300, 200, seed: 25), "image/jpeg");
        var bad = await _client.UploadAsync(TestImages.TruncatedPng(), "image/png");
        var unknown = Guid.NewGuid().ToString();

        var result = await _client.PostJsonAsync("/api/v1/images/batch/process", new { image_ids = new[] { Id(good), Id(bad), unknown }, concurrency = 2 });

        var statuses = result.GetProperty("results").EnumerateArray()
            .ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("status").GetString());
        Assert.Equal("not_found", statuses[unknown]);
        Assert.Contains(statuses[Id(good)], new[] { "completed", "processing" });
        Assert.Contains(statuses[Id(bad)], new[] { "failed", "processing" });
        Assert.Equal(3, result.GetProperty("succeeded").GetInt32() + result.GetProperty("failed").GetInt32());
    }

    [Theory]
    [InlineData("{\"image_ids\": [], \"concurrency\": 8}", "image_ids")]
    [InlineData("{\"image_ids\": [\"x\"]}", "image_ids")]
    [InlineData("{\"image_ids\": [\"00000000-0000-0000-0000-000000000001\"], \"concurrency\": 0}", "concurrency")]
    [InlineData("{\"image_ids\": [\"00000000-0000-0000-0000-000000000001\"], \"concurrency\": 33}", "concurrency")]
    [InlineData("{\"image_ids\": 5}", "request")]
    [InlineData("not json", "request")]
    public async Task BatchOutOfRangeOrMalformedIs422_FR2_5(string json, string field)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        var problem = await ProblemAsync(await _client.PostAsync("/api/v1/images/batch/process", content), (HttpStatusCode)422);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task BatchOf101IdsIs422_FR2_5()
    {
        var ids = Enumerable.Range(0, 101).Select(_ => Guid.NewGuid()).ToArray();
        using var response = await _client.PostAsJsonAsync("/api/v1/images/batch/process", new { image_ids = ids });
        await ProblemAsync(response, (HttpStatusCode)422);
    }

    [Fact]
    public async Task ListPaginatesNewestFirstFiltersAndCountsTotal_FR3_4_FR3_5_FR3_6()
    {
        var uploaded = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            uploaded.Add(Id(await _client.UploadAsync(TestImages.Png(64, 64, seed: 100 + i), "image/png")));
        }

        foreach (var id in uploaded)
        {
            await _client.WaitForStatusAsync(id, Timeout, "completed");
        }

        var page = await _client.GetJsonAsync("/api/v1/images/?offset=0&limit=2");
        Assert.Equal(2, page.GetProperty("limit").GetInt32());
        Assert.Equal(0, page.GetProperty("offset").GetInt32());
        Assert.True(page.GetProperty("total").GetInt64() >= 3);
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.True(items[0].GetProperty("created_at").GetDateTimeOffset() >= items[1].GetProperty("created_at").GetDateTimeOffset());
        Assert.All(items, i => Assert.True(i.TryGetProperty("thumbnail_available", out _)));

        var completed = await _client.GetJsonAsync("/api/v1/images/?status=completed&limit=100");
        Assert.All(completed.GetProperty("items").EnumerateArray(), i => Assert.Equal("completed", i.GetProperty("status").GetString()));
        Assert.Equal(completed.GetProperty("items").GetArrayLength(), completed.GetProperty("total").GetInt64());
        Assert.Superset(uploaded.ToHashSet(), completed.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToHashSet());

        var defaults = await _client.GetJsonAsync("/api/v1/images");
        Assert.Equal(50, defaults.GetProperty("limit").GetInt32());
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("offset=-1", "offset")]
    [InlineData("status=done", "status")]
    public async Task ListParametersOutOfRangeAre422_FR3_4(string query, string field)
    {
        var problem = await ProblemAsync(await _client.GetAsync($"/api/v1/images/?{query}"), (HttpStatusCode)422);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }
}
