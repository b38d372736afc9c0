using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Images.Tests.Support;

namespace Images.Tests.Api;

/// <summary>An Api with two renditions: thumbnail (IMG_THUMBNAIL_MAX_SIZE, 256) and preview (512).</summary>
public sealed class RenditionApiFixture : ApiFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["IMG_RENDITIONS"] = "thumbnail,preview:512",
    };
}

/// <summary>
/// FR-8.3 through the real HTTP pipeline and the real processing path (upload, in-process
/// processing on the native library, storage, PostgreSQL): the resource's renditions, Accept
/// negotiation and ?format=, Vary, the strong ETag with 304 and the immutable Cache-Control, and
/// the 404, 406 and 422 problems.
/// </summary>
public sealed class RenditionEndpointTests(RenditionApiFixture api) : IClassFixture<RenditionApiFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private async Task<(string Id, JsonElement Image)> ProcessedAsync(byte[] bytes, string contentType)
    {
        var id = (await api.Client.UploadAsync(bytes, contentType)).GetProperty("id").GetString()!;
        var image = await api.Client.WaitForStatusAsync(id, Timeout, "completed", "failed");
        Assert.True(image.GetProperty("status").GetString() == "completed", image.ToString());
        return (id, image);
    }

    private Task<HttpResponseMessage> GetAsync(string path, params string[] accept)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var range in accept)
        {
            request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse(range));
        }

        return api.Client.SendAsync(request);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task TheResourceListsEveryRenditionWithItsSizeAndFormats_FR8_3()
    {
        var (id, image) = await ProcessedAsync(TestImages.Png(1200, 600, alpha: true, seed: 71), "image/png");

        var renditions = image.GetProperty("renditions").EnumerateArray().ToList();
        Assert.Equal(["thumbnail", "preview"], renditions.Select(r => r.GetProperty("name").GetString()));
        Assert.Equal((256, 128), (renditions[0].GetProperty("width").GetInt32(), renditions[0].GetProperty("height").GetInt32()));
        Assert.Equal((512, 256), (renditions[1].GetProperty("width").GetInt32(), renditions[1].GetProperty("height").GetInt32()));
        Assert.All(renditions, r => Assert.Equal(["jpeg", "webp", "avif", "png"], r.GetProperty("formats").EnumerateArray().Select(f => f.GetString())));
        Assert.Equal(4, renditions[0].EnumerateObject().Count());

        // The list carries it too, and the fields of before are all still there.
        var listed = (await api.Client.GetJsonAsync("/api/v1/images/?limit=100")).GetProperty("items").EnumerateArray().Single(i => i.GetProperty("id").GetString() == id);
        Assert.Equal(2, listed.GetProperty("renditions").GetArrayLength());
        foreach (var field in new[] { "id", "filename", "content_type", "size_bytes", "content_hash", "status", "tags", "created_at", "updated_at", "expires_at", "width", "height", "format", "channels", "thumbnail_available", "error" })
        {
            Assert.True(listed.TryGetProperty(field, out _), field);
        }

        // A pending image lists none (processing below makes it complete).
        Assert.Equal(0, (await api.Client.UploadAsync(TestImages.Jpeg(64, 64, seed: 72), "image/jpeg")).GetProperty("renditions").GetArrayLength());
    }

    public static TheoryData<string?, string[], string> Negotiations => new()
    {
        { null, [], "image/jpeg" },
        { null, ["*/*"], "image/jpeg" },
        { null, ["image/avif", "image/webp", "image/apng", "image/*", "*/*;q=0.8"], "image/avif" },
        { null, ["image/webp", "image/*;q=0.8"], "image/webp" },
        { null, ["image/png"], "image/png" },
        { "webp", ["image/avif"], "image/webp" },
        { "avif", [], "image/avif" },
        { "png", [], "image/png" },
        { "jpeg", ["image/avif"], "image/jpeg" },
    };

    [Theory]
    [MemberData(nameof(Negotiations))]
    public async Task TheFormatFollowsFormatOrAcceptAndTheAnswerVariesOnAccept_FR8_3(string? format, string[] accept, string expected)
    {
        var (id, _) = await ProcessedAsync(TestImages.Png(800, 400, alpha: true, seed: 73), "image/png");

        using var response = await GetAsync($"/api/v1/images/{id}/renditions/preview" + (format is null ? string.Empty : "?format=" + format), accept);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Accept", response.Headers.Vary);
        Assert.Equal("public, max-age=31536000, immutable", response.Headers.CacheControl?.ToString());
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (expected != "image/avif")
        {
            using var decoded = TestImages.Decode(bytes);
            Assert.Equal((512, 256), (decoded.Width, decoded.Height));
        }
        else
        {
            Assert.Equal((512, 256), RenditionFiles.AvifSize(bytes));
        }
    }

    [Fact]
    public async Task TheThumbnailJpegIsTheDownloadedThumbnailAndRepeatsAre304_FR8_2_FR8_4()
    {
        var (id, _) = await ProcessedAsync(TestImages.Jpeg(1024, 768, seed: 74), "image/jpeg");

        using var download = await api.Client.GetAsync($"/api/v1/images/{id}/download?thumbnail=true");
        using var rendition = await GetAsync($"/api/v1/images/{id}/renditions/thumbnail", "*/*");
        Assert.Equal(await download.Content.ReadAsByteArrayAsync(), await rendition.Content.ReadAsByteArrayAsync());
        var etag = rendition.Headers.ETag;
        Assert.NotNull(etag);
        Assert.False(etag.IsWeak);
        Assert.NotNull(rendition.Content.Headers.LastModified);

        var again = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/images/{id}/renditions/thumbnail");
        again.Headers.IfNoneMatch.Add(etag);
        using var notModified = await api.Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());

        // Another format is another representation: another ETag.
        using var webp = await GetAsync($"/api/v1/images/{id}/renditions/thumbnail", "image/webp");
        Assert.NotEqual(etag, webp.Headers.ETag);
    }

    [Fact]
    public async Task UnknownNamesFormatsAndImagesAndRenditionsNotMadeAreProblems_FR8_3()
    {
        var (id, _) = await ProcessedAsync(TestImages.Jpeg(300, 200, seed: 75), "image/jpeg");

        var unknownName = await ProblemAsync(await GetAsync($"/api/v1/images/{id}/renditions/poster"), HttpStatusCode.NotFound);
        Assert.Contains("no rendition named 'poster'", unknownName.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var unknownFormat = await ProblemAsync(await GetAsync($"/api/v1/images/{id}/renditions/preview?format=gif"), (HttpStatusCode)422);
        Assert.True(unknownFormat.GetProperty("errors").TryGetProperty("format", out _));
        var png = await ProblemAsync(await GetAsync($"/api/v1/images/{id}/renditions/preview?format=png"), (HttpStatusCode)422);
        Assert.Contains("only for images with alpha", png.GetProperty("errors").GetProperty("format")[0].GetString(), StringComparison.Ordinal);
        await ProblemAsync(await GetAsync($"/api/v1/images/{Guid.NewGuid()}/renditions/preview"), HttpStatusCode.NotFound);
        await ProblemAsync(await GetAsync("/api/v1/images/not-a-uuid/renditions/preview"), (HttpStatusCode)422);

        // Never made: a file that fails processing.
        var failed = (await api.Client.UploadAsync(TestImages.TruncatedPng(), "image/png")).GetProperty("id").GetString()!;
        await api.Client.WaitForStatusAsync(failed, Timeout, "failed");
        var notMade = await ProblemAsync(await GetAsync($"/api/v1/images/{failed}/renditions/thumbnail"), HttpStatusCode.NotFound);
        Assert.Contains("not made yet (status: failed)", notMade.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenditionFilesAreStoredUnderTheImagesKeyWithTheirSizeAndFormat_FR8_1()
    {
        var (id, _) = await ProcessedAsync(TestImages.Png(640, 480, alpha: true, seed: 76), "image/png");
        var folder = Path.Combine(api.Factory.StorageDirectory, "derived", id.Replace("-", string.Empty, StringComparison.Ordinal)[..2], id.Replace("-", string.Empty, StringComparison.Ordinal));
        var files = Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(
            ["preview-512x384.avif", "preview-512x384.jpg", "preview-512x384.png", "preview-512x384.webp", "thumbnail-256x192.avif", "thumbnail-256x192.png", "thumbnail-256x192.webp"],
            files);
    }
}

/// <summary>An Api forced onto the managed processor, which has no AVIF encoder (as a machine without libavif).</summary>
public sealed class NoAvifApiFixture : ApiFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["IMG_NATIVE_PROCESSING"] = "false",
    };
}

/// <summary>FR-8.2/FR-8.3 where AVIF cannot be made (ADR 12): said on /health, not listed, 406 when named, WebP for browsers.</summary>
public sealed class RenditionsWithoutAvifTests(NoAvifApiFixture api) : IClassFixture<NoAvifApiFixture>
{
    [Fact]
    public async Task AvifIsReportedUnavailableAnsweredWith406AndBrowsersGetWebp_FR8_3()
    {
        var health = await api.Client.GetJsonAsync("/health");
        Assert.Contains("AVIF: not available", health.GetProperty("details").GetProperty("image-processor").GetString(), StringComparison.Ordinal);

        var id = (await api.Client.UploadAsync(TestImages.Jpeg(640, 480, seed: 77), "image/jpeg")).GetProperty("id").GetString()!;
        var image = await api.Client.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "completed", "failed");
        Assert.Equal("completed", image.GetProperty("status").GetString());
        Assert.Equal(["jpeg", "webp"], image.GetProperty("renditions")[0].GetProperty("formats").EnumerateArray().Select(f => f.GetString()));

        using var avif = await api.Client.GetAsync($"/api/v1/images/{id}/renditions/thumbnail?format=avif");
        Assert.Equal(HttpStatusCode.NotAcceptable, avif.StatusCode);
        Assert.Equal("application/problem+json", avif.Content.Headers.ContentType?.MediaType);
        Assert.Contains("AVIF is not available", await avif.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var browser = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/images/{id}/renditions/thumbnail");
        browser.Headers.TryAddWithoutValidation("Accept", "image/avif,image/webp,*/*;q=0.8");
        using var negotiated = await api.Client.SendAsync(browser);
        Assert.Equal("image/webp", negotiated.Content.Headers.ContentType?.MediaType);
    }
}
