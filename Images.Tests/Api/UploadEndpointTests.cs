using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Images.Tests.Support;
using static Images.Tests.Support.ApiClientExtensions;

namespace Images.Tests.Api;

public sealed class UploadFixture : ApiFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["IMG_MAX_UPLOAD_BYTES"] = (1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>FR-1 through the real HTTP pipeline against real PostgreSQL and real files.</summary>
public class UploadEndpointTests(UploadFixture api) : IClassFixture<UploadFixture>
{
    private readonly HttpClient _client = api.Client;

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpContent content)
    {
        using var response = await _client.PostAsync("/api/v1/images/", content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    public static TheoryData<string, string, string> Formats => new()
    {
        { "jpeg", "image/jpeg", "JPEG" },
        { "png", "image/png", "PNG" },
        { "webp", "image/webp", "WEBP" },
        { "tiff", "image/tiff", "TIFF" },
    };

    private static byte[] Make(string kind) => kind switch
    {
        "jpeg" => TestImages.Jpeg(320, 200, seed: 11),
        "png" => TestImages.Png(320, 200, seed: 12),
        "webp" => TestImages.Webp(320, 200, seed: 13),
        _ => TestImages.Tiff(320, 200, seed: 14),
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task UploadOfEachFormatIs201PendingWithLocation_FR1_1_FR1_8(string kind, string contentType, string format)
    {
        var bytes = Make(kind);
        using var response = await _client.PostAsync("/api/v1/images/", UploadForm(bytes, contentType, $"photo.{kind}", ("tags", "holiday"), ("ttl_hours", "24")));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/api/v1/images/{body.GetProperty("id").GetString()}", response.Headers.Location!.OriginalString);
        Assert.Equal("pending", body.GetProperty("status").GetString());
        Assert.Equal(format, body.GetProperty("format").GetString());
        Assert.Equal(contentType, body.GetProperty("content_type").GetString());
        Assert.Equal(bytes.Length, body.GetProperty("size_bytes").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), body.GetProperty("content_hash").GetString());
        Assert.Equal($"photo.{kind}", body.GetProperty("filename").GetString());
        Assert.Equal(["holiday"], body.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.False(body.GetProperty("thumbnail_available").GetBoolean());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("channels").ValueKind);
        Assert.Equal(JsonValueKind.Null, body.GetProperty("error").ValueKind);
        var created = body.GetProperty("created_at").GetDateTimeOffset();
        Assert.Equal(created.AddHours(24), body.GetProperty("expires_at").GetDateTimeOffset());
        Assert.EndsWith("+00:00", body.GetProperty("created_at").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TagsComeRepeatedOrCommaSeparated()
    {
        var repeated = await _client.UploadAsync(Make("png"), "image/png", ("tags", "a"), ("tags", "b"));
        var comma = await _client.UploadAsync(Make("png"), "image/png", ("tags", "a, b"));
        Assert.Equal(["a", "b"], repeated.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(["a", "b"], comma.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task TextFileSentAsJpegIs415_FR1_1_NFR7()
    {
        var (status, body) = await PostAsync(UploadForm("this is plain text, not a picture"u8.ToArray(), "image/jpeg", "fake.jpg"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal(415, body.GetProperty("status").GetInt32());
        Assert.Contains("not a JPEG, PNG, WebP, TIFF, GIF, HEIC or AVIF", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PngDeclaredAsJpegIs415_FR1_1()
    {
        var (status, body) = await PostAsync(UploadForm(Make("png"), "image/jpeg"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("does not match", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BmpIs415_FR1_1()
    {
        var (status, body) = await PostAsync(UploadForm("BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00"u8.ToArray(), "image/bmp"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("not a JPEG, PNG, WebP, TIFF, GIF, HEIC or AVIF", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GIF89a", "image/gif", "GIF")]
    [InlineData("ftypheic", "image/heic", "HEIC")]
    [InlineData("ftypavif", "image/avif", "AVIF")]
    public async Task GifHeicAndAvifAreAcceptedBySniffing_FR8_6(string magic, string declared, string format)
    {
        // Only the header matters to the upload (processing judges the rest).
        byte[] bytes = magic.StartsWith("ftyp", StringComparison.Ordinal)
            ? [0, 0, 0, 24, .. System.Text.Encoding.ASCII.GetBytes(magic), 0, 0, 0, 0, .. "mif1miaf"u8, 0, 0, 0, 8, .. "free"u8]
            : [.. System.Text.Encoding.ASCII.GetBytes(magic), 1, 0, 1, 0, 0, 0, 0, 0x3B];
        var (status, body) = await PostAsync(UploadForm(bytes, declared));
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(declared, body.GetProperty("content_type").GetString());
        Assert.Equal(format, body.GetProperty("format").GetString());

        // A declared type that names another of the new formats contradicts the bytes.
        var (lying, _) = await PostAsync(UploadForm(bytes, declared == "image/gif" ? "image/avif" : "image/gif"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, lying);
    }

    [Fact]
    public async Task BodyOverTheLimitIs413AndLeavesNothing_FR1_2()
    {
        var before = api.StoredOriginals().Length;
        var big = RandomNumberGenerator.GetBytes(1024 * 1024 + 10);
        new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }.CopyTo(big, 0);

        var (status, body) = await PostAsync(UploadForm(big, "image/jpeg"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal(413, body.GetProperty("status").GetInt32());
        Assert.Equal(before, api.StoredOriginals().Length);
        Assert.Empty(Directory.GetFiles(Path.Combine(api.Factory.StorageDirectory, "tmp")));
    }

    [Fact]
    public async Task LargeTextFileIs415NotTheSizeError_FR1_3()
    {
        var text = new byte[3 * 1024 * 1024];
        Array.Fill(text, (byte)'z');
        var (status, _) = await PostAsync(UploadForm(text, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
    }

    [Fact]
    public async Task TwentyOneTagsIs422NamingTags_FR1_5()
    {
        var tags = string.Join(',', Enumerable.Range(0, 21).Select(i => $"t{i}"));
        var (status, body) = await PostAsync(UploadForm(Make("png"), "image/png", "x.png", ("tags", tags)));
        Assert.Equal((HttpStatusCode)422, status);
        Assert.Contains("20", body.GetProperty("errors").GetProperty("tags")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwentyTagsAreAccepted_FR1_5()
    {
        var tags = string.Join(',', Enumerable.Range(0, 20).Select(i => $"t{i}"));
        var image = await _client.UploadAsync(Make("png"), "image/png", ("tags", tags));
        Assert.Equal(20, image.GetProperty("tags").GetArrayLength());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("8761")]
    [InlineData("-3")]
    [InlineData("soon")]
    public async Task TtlOutOfRangeIs422NamingTtlHours_FR1_6(string ttl)
    {
        var (status, body) = await PostAsync(UploadForm(Make("png"), "image/png", "x.png", ("ttl_hours", ttl)));
        Assert.Equal((HttpStatusCode)422, status);
        Assert.True(body.GetProperty("errors").TryGetProperty("ttl_hours", out _));
    }

    [Fact]
    public async Task MissingFileIs422NamingFile()
    {
        using var form = new MultipartFormDataContent { { new StringContent("a"), "tags" } };
        var (status, body) = await PostAsync(form);
        Assert.Equal((HttpStatusCode)422, status);
        Assert.True(body.GetProperty("errors").TryGetProperty("file", out _));
        Assert.Equal("application/problem+json", (await _client.PostAsync("/api/v1/images/", new StringContent("{}"))).Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task IdenticalBytesAreStoredOnceButGetTwoRecords_FR1_7()
    {
        var bytes = TestImages.Jpeg(200, 100, seed: 99);
        var first = await _client.UploadAsync(bytes, "image/jpeg");
        var second = await _client.UploadAsync(bytes, "image/jpeg");

        Assert.NotEqual(first.GetProperty("id").GetString(), second.GetProperty("id").GetString());
        var hash = first.GetProperty("content_hash").GetString()!;
        Assert.Equal(hash, second.GetProperty("content_hash").GetString());
        Assert.Single(api.StoredOriginals(), f => Path.GetFileName(f) == hash);
        Assert.Equal(2, await api.ScalarAsync($"SELECT count(*) FROM images WHERE content_hash = '{hash}'"));
    }
}
