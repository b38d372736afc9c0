using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Images.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace Images.Tests.Api;

/// <summary>
/// FR-8.4 through the real pipeline (real PostgreSQL, real storage, in-process processing): strong
/// ETags, 304 on If-None-Match and If-Modified-Since, 412 on If-Match, Last-Modified, Cache-Control,
/// ranges (206, 416, If-Range) on originals and thumbnails, and the 200 answers of the seed's
/// contract unchanged but for the three caching headers (ADR 10).
/// </summary>
public class HttpCachingTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly HttpClient _client = api.Client;

    [Fact]
    public async Task TheOriginalsETagIsItsContentHashStableAcrossRequestsAndDifferentBetweenImages_FR8_4()
    {
        var (first, _) = await UploadAsync(seed: 1);
        var (second, _) = await UploadAsync(seed: 2);

        using var a = await GetAsync(Download(first));
        using var again = await GetAsync(Download(first));
        using var b = await GetAsync(Download(second));

        Assert.Equal($"\"{first.GetProperty("content_hash").GetString()}\"", a.Headers.ETag!.ToString());
        Assert.False(a.Headers.ETag.IsWeak);
        Assert.Equal(a.Headers.ETag, again.Headers.ETag);
        Assert.NotEqual(a.Headers.ETag, b.Headers.ETag);
        Assert.Equal("private, no-cache", Raw(a, "Cache-Control"));
    }

    [Fact]
    public async Task TheThumbnailsETagIsTheHashOfItsBytesStableAcrossRequestsAndDifferentBetweenImages_FR8_4()
    {
        var first = await CompletedAsync(seed: 3);
        var second = await CompletedAsync(seed: 4);

        using var a = await GetAsync(Thumbnail(first));
        using var again = await GetAsync(Thumbnail(first));
        using var b = await GetAsync(Thumbnail(second));
        var bytes = await a.Content.ReadAsByteArrayAsync();

        Assert.Equal($"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))}\"", a.Headers.ETag!.ToString());
        Assert.False(a.Headers.ETag.IsWeak);
        Assert.Equal(a.Headers.ETag, again.Headers.ETag);
        Assert.Equal(bytes, await again.Content.ReadAsByteArrayAsync());
        Assert.NotEqual(a.Headers.ETag, b.Headers.ETag);
        Assert.NotEqual(a.Headers.ETag!.ToString(), $"\"{first.GetProperty("content_hash").GetString()}\"");
        Assert.Equal("private, no-cache", Raw(a, "Cache-Control"));
        Assert.Equal(first.GetProperty("updated_at").GetDateTimeOffset().ToUnixTimeSeconds(), a.Content.Headers.LastModified!.Value.ToUnixTimeSeconds());
    }

    public static TheoryData<string> MatchingIfNoneMatch => ["{0}", "\"other\", {0}", "*", "W/{0}", "W/\"other\" , W/{0}"];

    [Theory]
    [MemberData(nameof(MatchingIfNoneMatch))]
    public async Task AMatchingIfNoneMatchIs304WithTheETagAndNoBody_FR8_4(string pattern)
    {
        var image = await CompletedAsync(seed: 10);
        foreach (var path in new[] { Download(image), Thumbnail(image) })
        {
            using var full = await GetAsync(path);
            var etag = full.Headers.ETag!.ToString();

            using var cached = await GetAsync(path, ("If-None-Match", string.Format(CultureInfo.InvariantCulture, pattern, etag)));

            Assert.Equal(HttpStatusCode.NotModified, cached.StatusCode);
            Assert.Equal(etag, cached.Headers.ETag!.ToString());
            Assert.Equal("private, no-cache", Raw(cached, "Cache-Control"));
            Assert.Equal(full.Content.Headers.LastModified, cached.Content.Headers.LastModified);
            Assert.Empty(await cached.Content.ReadAsByteArrayAsync());
            Assert.Null(cached.Content.Headers.ContentType);
        }
    }

    [Theory]
    [InlineData("\"0000000000000000000000000000000000000000000000000000000000000000\"")]
    [InlineData("\"a\", W/\"b\"")]
    public async Task ANonMatchingIfNoneMatchGetsTheWholeFileEvenWithAMatchingIfModifiedSince_FR8_4(string ifNoneMatch)
    {
        var (image, bytes) = await UploadAsync(seed: 11);
        using var full = await GetAsync(Download(image));

        using var response = await GetAsync(
            Download(image),
            ("If-None-Match", ifNoneMatch),
            ("If-Modified-Since", full.Content.Headers.LastModified!.Value.ToString("R")));

        // RFC 9110 §13.2.2: If-Modified-Since is not looked at when If-None-Match is present.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task AMatchingIfNoneMatchWinsOverAnOlderIfModifiedSince_FR8_4()
    {
        var (image, _) = await UploadAsync(seed: 12);
        using var full = await GetAsync(Download(image));

        using var response = await GetAsync(
            Download(image),
            ("If-None-Match", full.Headers.ETag!.ToString()),
            ("If-Modified-Since", DateTimeOffset.UnixEpoch.ToString("R")));

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Fact]
    public async Task LastModifiedIsTheUploadAndIfModifiedSinceGives304Or200_FR8_4()
    {
        var (image, bytes) = await UploadAsync(seed: 13);
        using var full = await GetAsync(Download(image));
        var lastModified = full.Content.Headers.LastModified!.Value;
        Assert.Equal(image.GetProperty("created_at").GetDateTimeOffset().ToUnixTimeSeconds(), lastModified.ToUnixTimeSeconds());

        using var same = await GetAsync(Download(image), ("If-Modified-Since", lastModified.ToString("R")));
        using var earlier = await GetAsync(Download(image), ("If-Modified-Since", lastModified.AddSeconds(-1).ToString("R")));
        using var future = await GetAsync(Download(image), ("If-Modified-Since", DateTimeOffset.UtcNow.AddDays(2).ToString("R")));
        using var garbage = await GetAsync(Download(image), ("If-Modified-Since", "yesterday"));

        Assert.Equal(HttpStatusCode.NotModified, same.StatusCode);
        Assert.Equal(full.Headers.ETag, same.Headers.ETag);
        Assert.Equal(HttpStatusCode.OK, earlier.StatusCode);
        Assert.Equal(bytes, await earlier.Content.ReadAsByteArrayAsync());
        // A date in the future (a client's clock ahead), or no date at all, is ignored.
        Assert.Equal(HttpStatusCode.OK, future.StatusCode);
        Assert.Equal(HttpStatusCode.OK, garbage.StatusCode);
    }

    [Fact]
    public async Task IfMatchMustMatchStronglyElse412Problem()
    {
        var (image, bytes) = await UploadAsync(seed: 14);
        using var full = await GetAsync(Download(image));
        var etag = full.Headers.ETag!.ToString();

        using var match = await GetAsync(Download(image), ("If-Match", etag));
        using var weak = await GetAsync(Download(image), ("If-Match", "W/" + etag));
        using var other = await GetAsync(Download(image), ("If-Match", "\"other\""));

        Assert.Equal(HttpStatusCode.OK, match.StatusCode);
        Assert.Equal(bytes, await match.Content.ReadAsByteArrayAsync());
        await ProblemAsync(weak, HttpStatusCode.PreconditionFailed);
        await ProblemAsync(other, HttpStatusCode.PreconditionFailed);
    }

    [Theory]
    [InlineData("bytes=0-9", 0, 9)]
    [InlineData("bytes=-10", -10, -1)]
    [InlineData("bytes=10-", 10, -1)]
    [InlineData("bytes=5-5", 5, 5)]
    [InlineData("bytes=100-99999999", 100, -1)]
    public async Task ARangeOfTheOriginalIs206WithContentRange_FR8_4(string range, int from, int to)
    {
        var (image, bytes) = await UploadAsync(seed: 15);
        var first = from < 0 ? bytes.Length + from : from;
        var last = to < 0 ? bytes.Length - 1 : to;

        using var response = await GetAsync(Download(image), ("Range", range));

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes {first}-{last}/{bytes.Length}", response.Content.Headers.ContentRange!.ToString());
        Assert.Equal(bytes[first..(last + 1)], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(last - first + 1, response.Content.Headers.ContentLength);
        Assert.Equal("bytes", Assert.Single(response.Headers.AcceptRanges));
        Assert.NotNull(response.Headers.ETag);
        Assert.Equal("private, no-cache", Raw(response, "Cache-Control"));
    }

    [Fact]
    public async Task ARangeOfTheThumbnailIs206Too_FR8_4()
    {
        var image = await CompletedAsync(seed: 16);
        using var full = await GetAsync(Thumbnail(image));
        var bytes = await full.Content.ReadAsByteArrayAsync();

        using var response = await GetAsync(Thumbnail(image), ("Range", "bytes=-10"));

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(bytes[^10..], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(full.Headers.ETag, response.Headers.ETag);
    }

    [Theory]
    [InlineData("bytes={0}-")]
    [InlineData("bytes={0}-{1}")]
    [InlineData("bytes=-0")]
    public async Task AnUnsatisfiableRangeIs416ProblemWithTheLength_FR8_4(string pattern)
    {
        var (image, bytes) = await UploadAsync(seed: 17);

        using var response = await GetAsync(Download(image), ("Range", string.Format(CultureInfo.InvariantCulture, pattern, bytes.Length, bytes.Length + 10)));

        await ProblemAsync(response, HttpStatusCode.RequestedRangeNotSatisfiable);
        Assert.Equal($"bytes */{bytes.Length}", response.Content.Headers.ContentRange!.ToString());
    }

    /// <summary>
    /// Several ranges (multipart/byteranges) are not served: the whole file comes back with 200,
    /// which RFC 9110 §14.2 allows (a server may ignore Range). One range is what players and
    /// download managers ask for.
    /// </summary>
    [Theory]
    [InlineData("bytes=0-1,4-5")]
    [InlineData("bytes=0-9, -5")]
    [InlineData("lines=0-9")]
    [InlineData("bytes=9-0")]
    [InlineData("bytes=abc")]
    public async Task SeveralRangesOrAMalformedRangeGetTheWholeFile_FR8_4(string range)
    {
        var (image, bytes) = await UploadAsync(seed: 18);

        using var response = await GetAsync(Download(image), ("Range", range));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task IfRangeServesTheRangeOnlyForTheSameVersionElseTheWholeFile_FR8_4()
    {
        var (image, bytes) = await UploadAsync(seed: 19);
        using var full = await GetAsync(Download(image));
        var etag = full.Headers.ETag!.ToString();
        var lastModified = full.Content.Headers.LastModified!.Value;

        using var sameTag = await GetAsync(Download(image), ("Range", "bytes=0-9"), ("If-Range", etag));
        using var sameDate = await GetAsync(Download(image), ("Range", "bytes=0-9"), ("If-Range", lastModified.ToString("R")));
        using var otherTag = await GetAsync(Download(image), ("Range", "bytes=0-9"), ("If-Range", "\"other\""));
        using var weakTag = await GetAsync(Download(image), ("Range", "bytes=0-9"), ("If-Range", "W/" + etag));
        using var laterDate = await GetAsync(Download(image), ("Range", "bytes=0-9"), ("If-Range", lastModified.AddSeconds(10).ToString("R")));

        Assert.Equal(HttpStatusCode.PartialContent, sameTag.StatusCode);
        Assert.Equal(bytes[..10], await sameTag.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.PartialContent, sameDate.StatusCode);
        foreach (var mismatch in new[] { otherTag, weakTag, laterDate })
        {
            Assert.Equal(HttpStatusCode.OK, mismatch.StatusCode);
            Assert.Null(mismatch.Content.Headers.ContentRange);
            Assert.Equal(bytes, await mismatch.Content.ReadAsByteArrayAsync());
        }
    }

    /// <summary>
    /// The seed's clients keep working: a plain GET of an original or a thumbnail answers exactly
    /// what the previous implementation (ASP.NET Core's stream result with ranges, as it was called
    /// before) writes for the same file (status, every header, body), plus ETag, Last-Modified and
    /// Cache-Control and nothing else.
    /// </summary>
    [Fact]
    public async Task PlainDownloadsAreByteCompatibleWithThePreviousAnswersPlusTheCachingHeaders_FR3_2_FR3_3_FR8_4()
    {
        var image = await CompletedAsync(seed: 20);
        var hash = image.GetProperty("content_hash").GetString()!;
        var id = Guid.Parse(image.GetProperty("id").GetString()!);
        var thumbnailFile = Path.Combine(api.Factory.StorageDirectory, "thumbnails", id.ToString("N")[..2], id.ToString("N") + ".jpg");
        var originalFile = Path.Combine(api.Factory.StorageDirectory, "originals", hash[..2], hash[2..4], hash);

        var filename = image.GetProperty("filename").GetString()!;
        foreach (var (path, file, contentType, name) in new[]
                 {
                     (Download(image), originalFile, "image/png", filename),
                     (Thumbnail(image), thumbnailFile, "image/jpeg", Path.GetFileNameWithoutExtension(filename) + "_thumb.jpg"),
                 })
        {
            using var response = await GetAsync(path);
            var headers = response.Headers.NonValidated.Concat(response.Content.Headers.NonValidated)
                .ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);

            var previous = new DefaultHttpContext { RequestServices = api.Factory.Services };
            previous.Request.Method = "GET";
            previous.Response.Body = new MemoryStream();
            await Microsoft.AspNetCore.Http.TypedResults.Stream(File.OpenRead(file), contentType, name, enableRangeProcessing: true).ExecuteAsync(previous);
            var expected = previous.Response.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);

            Assert.Equal(previous.Response.StatusCode, (int)response.StatusCode);
            Assert.Equal(((MemoryStream)previous.Response.Body).ToArray(), await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(
                expected.OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase),
                headers.Where(h => h.Key is not ("ETag" or "Last-Modified" or "Cache-Control")).OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase));
            Assert.Contains("ETag", headers.Keys);
            Assert.Contains("Last-Modified", headers.Keys);
            Assert.Contains("Cache-Control", headers.Keys);
            // What those headers are, spelled out.
            Assert.Equal(contentType, headers["Content-Type"]);
            Assert.Equal($"attachment; filename={name}; filename*=UTF-8''{name}", headers["Content-Disposition"]);
            Assert.Equal("bytes", headers["Accept-Ranges"]);
        }
    }

    [Fact]
    public async Task ErrorsOfTheDownloadAreUnchanged_FR3_2_FR3_3()
    {
        var unknown = Guid.NewGuid();
        await ProblemAsync(await GetAsync($"/api/v1/images/{unknown}/download", ("If-None-Match", "*")), HttpStatusCode.NotFound);
        await ProblemAsync(await GetAsync("/api/v1/images/12345/download", ("Range", "bytes=0-9")), (HttpStatusCode)422);
    }

    private static string Download(JsonElement image) => $"/api/v1/images/{image.GetProperty("id").GetString()}/download";

    private static string Thumbnail(JsonElement image) => Download(image) + "?thumbnail=true";

    private async Task<(JsonElement Image, byte[] Bytes)> UploadAsync(int seed)
    {
        var bytes = TestImages.Png(90, 60, seed: 7000 + seed);
        return (await _client.UploadAsync(bytes, "image/png"), bytes);
    }

    private async Task<JsonElement> CompletedAsync(int seed)
    {
        var (image, _) = await UploadAsync(seed);
        var done = await _client.WaitForStatusAsync(image.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30), "completed", "failed");
        Assert.Equal("completed", done.GetProperty("status").GetString());
        return done;
    }

    private Task<HttpResponseMessage> GetAsync(string path, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var (name, value) in headers)
        {
            Assert.True(request.Headers.TryAddWithoutValidation(name, value), name);
        }

        return _client.SendAsync(request);
    }

    /// <summary>A response header as it was sent (HttpClient's parsed forms reorder Cache-Control).</summary>
    private static string? Raw(HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.TryGetValues(name, out var values) || response.Content.Headers.NonValidated.TryGetValues(name, out values)
            ? values.ToString()
            : null;

    private static async Task ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)expected, JsonDocument.Parse(text).RootElement.GetProperty("status").GetInt32());
    }
}
