using System.Net;
using System.Text;
using System.Text.Json;
using Images.Application.Common.Settings;
using Images.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Images.Tests.Api;

/// <summary>An Api behind an API key that signs URLs with one key, on a clock the tests move.</summary>
public sealed class SignedUrlFixture : ApiFixture
{
    public const string ApiKey = "signed-url-tests-api-key";
    public const string OldKey = "old-url-signing-key-0123456789abcdef-0123";
    public const string NewKey = "new-url-signing-key-fedcba9876543210-4567";

    public FakeTimeProvider TestClock { get; } = new(DateTimeOffset.UtcNow);

    protected override TimeProvider? Clock => TestClock;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["IMG_API_KEY"] = ApiKey,
        ["IMG_URL_SIGNING_KEYS"] = OldKey,
    };

    /// <summary>A second Api over the same database, storage and clock, with other settings (another replica, or after a redeploy).</summary>
    public ApiFactory Variant(string? signingKeys, IDictionary<string, string?>? more = null, ILoggerProvider? logs = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["IMG_STORAGE_BASE_DIR"] = Factory.StorageDirectory,
            ["IMG_API_KEY"] = ApiKey,
            ["IMG_URL_SIGNING_KEYS"] = signingKeys,
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return new ApiFactory(this, settings, TestClock, logs);
    }
}

/// <summary>
/// FR-8.5 through the real pipeline: signed URLs work without the API key until they expire, any
/// change to them or their expiry is 403, keys rotate, the endpoint is 501 without keys and 422 for
/// bad input, rate limits still apply, and no signing key reaches a log (ADR 10).
/// </summary>
public class SignedUrlTests(SignedUrlFixture api) : IClassFixture<SignedUrlFixture>
{
    private const string ApiKey = SignedUrlFixture.ApiKey;
    private readonly HttpClient _client = api.Client;

    [Fact]
    public async Task ASignedUrlServesTheOriginalWithoutTheApiKey_FR8_5()
    {
        var (id, bytes) = await UploadAsync(seed: 1);

        using var answer = await SignAsync(id, "{}");
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.OK, body);
        var signed = JsonDocument.Parse(body).RootElement;
        Assert.Equal(["url", "expires_at"], signed.EnumerateObject().Select(p => p.Name));
        var url = signed.GetProperty("url").GetString()!;
        Assert.Matches($"^/api/v1/images/{id}/download\\?expires=[0-9]+&sig=[A-Za-z0-9_-]{{43}}$", url);
        Assert.Equal(
            DateTimeOffset.FromUnixTimeSeconds(api.TestClock.GetUtcNow().ToUnixTimeSeconds() + 3600),
            signed.GetProperty("expires_at").GetDateTimeOffset());

        using var response = await _client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/png", response.Content.Headers.ContentType!.MediaType);
        Assert.NotNull(response.Headers.ETag);

        // The same path without its signature still needs the key.
        using var unsigned = await _client.GetAsync($"/api/v1/images/{id}/download");
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
    }

    [Fact]
    public async Task ASignedThumbnailUrlServesTheThumbnail_FR8_5()
    {
        var (id, _) = await UploadAsync(seed: 2);
        await WaitCompletedAsync(id);
        using var keyed = await SendAsync(HttpMethod.Get, $"/api/v1/images/{id}/download?thumbnail=true", ApiKey);
        Assert.Equal(HttpStatusCode.OK, keyed.StatusCode);

        var url = await SignedUrlAsync(id, """{"rendition": "thumbnail", "expires_in": 60}""");
        Assert.StartsWith($"/api/v1/images/{id}/download?thumbnail=true&expires=", url, StringComparison.Ordinal);
        using var response = await _client.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(await keyed.Content.ReadAsByteArrayAsync(), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(keyed.Headers.ETag, response.Headers.ETag);
    }

    /// <summary>
    /// Every character of a signed URL replaced, and every one deleted, in turn: each variant is 403
    /// problem, the separators (<c>/</c>, <c>?</c>, <c>&amp;</c>, <c>=</c>) and the parameter names
    /// included. An appended parameter or character is 403 too.
    /// </summary>
    [Fact]
    public async Task EverySingleCharacterChangeToASignedUrlIs403_FR8_5()
    {
        var (id, _) = await UploadAsync(seed: 3);
        var url = await SignedUrlAsync(id, """{"rendition": "thumbnail"}""");
        using (var intact = await _client.GetAsync(url))
        {
            // Not processed yet is fine: the signature was accepted (404 problem, not 401 or 403).
            Assert.True(intact.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{(int)intact.StatusCode}");
        }

        var variants = new List<string>();
        for (var i = 0; i < url.Length; i++)
        {
            variants.Add(url[..i] + Replacement(url[i]) + url[(i + 1)..]);
            variants.Add(url[..i] + url[(i + 1)..]);
        }

        variants.Add(url + "&x=1");
        variants.Add(url + "A");
        variants.Add(url.Replace("thumbnail=true", "thumbnail=1", StringComparison.Ordinal));
        variants.Add(url.Replace("?thumbnail=true&", "?", StringComparison.Ordinal));

        // A variant the client sends as the very same request is no change (deleting the leading
        // "/" of a relative URL); every other one reaches the server changed. Deleting either of two
        // equal neighbours (a "77" in the signature) gives one variant, not two: distinct ones count.
        var sameRequest = new Uri(_client.BaseAddress!, url).AbsoluteUri;
        var distinct = variants.Distinct(StringComparer.Ordinal).ToList();
        var changed = distinct.Where(v => new Uri(_client.BaseAddress!, v).AbsoluteUri != sameRequest).ToList();
        var equalNeighbours = Enumerable.Range(0, url.Length - 1).Count(i => url[i] == url[i + 1]);
        Assert.True(distinct.Count >= (2 * url.Length) - equalNeighbours, $"{distinct.Count} distinct variants of {url.Length} characters");
        Assert.True(changed.Count >= distinct.Count - 1, $"{distinct.Count - changed.Count} variants reach the server unchanged");

        var accepted = new List<string>();
        foreach (var variant in changed)
        {
            using var response = await _client.GetAsync(variant);
            if (response.StatusCode != HttpStatusCode.Forbidden || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                accepted.Add($"{variant} -> {(int)response.StatusCode}");
            }
        }

        Assert.True(accepted.Count == 0, $"{accepted.Count} of {variants.Count} variants were not refused with 403:\n{string.Join("\n", accepted)}");
    }

    /// <summary>
    /// The canonical form sorts the parameters and re-encodes them (ADR 10): a proxy that re-orders
    /// the query or percent-encodes an unreserved character does not break a URL; what is asked
    /// for is still exactly what was signed.
    /// </summary>
    [Fact]
    public async Task AReorderedOrReEncodedQueryStillVerifies_FR8_5()
    {
        var (id, bytes) = await UploadAsync(seed: 13);
        var url = await SignedUrlAsync(id, "{}");
        var query = url[(url.IndexOf('?', StringComparison.Ordinal) + 1)..].Split('&');
        var path = url[..url.IndexOf('?', StringComparison.Ordinal)];

        foreach (var variant in new[]
                 {
                     $"{path}?{query[1]}&{query[0]}",
                     url.Replace("?expires=", "?%65xpires=", StringComparison.Ordinal),
                     url.Replace("/download?", "/%64ownload?", StringComparison.Ordinal),
                 })
        {
            using var response = await _client.GetAsync(variant);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{variant} -> {(int)response.StatusCode}");
            Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task AnApiKeyDoesNotRescueABrokenSignature_FR8_5()
    {
        var (id, _) = await UploadAsync(seed: 4);
        var url = await SignedUrlAsync(id, "{}");
        var tampered = url[..^1] + Replacement(url[^1]);

        using var response = await SendAsync(HttpMethod.Get, tampered, ApiKey);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("not valid", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASignedUrlWorksUntilItsLastSecondAndIsThen403_FR8_5()
    {
        var (id, bytes) = await UploadAsync(seed: 5);
        var url = await SignedUrlAsync(id, """{"expires_in": 60}""");

        api.TestClock.Advance(TimeSpan.FromSeconds(59));
        using (var late = await _client.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.OK, late.StatusCode);
            Assert.Equal(bytes, await late.Content.ReadAsByteArrayAsync());
        }

        api.TestClock.Advance(TimeSpan.FromSeconds(1));
        using var expired = await _client.GetAsync(url);
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        Assert.Equal("application/problem+json", expired.Content.Headers.ContentType?.MediaType);
        Assert.Contains("expired", await expired.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysRotateTheFirstSignsAndEveryOneVerifies_FR8_5()
    {
        var (id, bytes) = await UploadAsync(seed: 6);
        var signedWithOld = await SignedUrlAsync(id, "{}");

        // Rotation: the new key first, the old one kept behind it.
        await using (var rotated = api.Variant($"{SignedUrlFixture.NewKey}, {SignedUrlFixture.OldKey}"))
        {
            using var client = rotated.CreateClient();
            using var old = await client.GetAsync(signedWithOld);
            Assert.Equal(HttpStatusCode.OK, old.StatusCode);
            Assert.Equal(bytes, await old.Content.ReadAsByteArrayAsync());

            // It signs with the new key: the old-key-only Api does not accept that.
            var signedWithNew = await SignedUrlAsync(id, "{}", client);
            using var fresh = await client.GetAsync(signedWithNew);
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
            using var notYet = await _client.GetAsync(signedWithNew);
            Assert.Equal(HttpStatusCode.Forbidden, notYet.StatusCode);
        }

        // The old key removed: what it signed stops working.
        await using var retired = api.Variant(SignedUrlFixture.NewKey);
        using var retiredClient = retired.CreateClient();
        using var refused = await retiredClient.GetAsync(signedWithOld);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task WithoutKeysTheEndpointIs501AndSignedUrlsAre403_FR8_5()
    {
        var (id, _) = await UploadAsync(seed: 7);
        var signed = await SignedUrlAsync(id, "{}");

        await using var unsigned = api.Variant(signingKeys: null);
        using var client = unsigned.CreateClient();
        using var answer = await SignAsync(id, "{}", client);
        using var fetch = await client.GetAsync(signed);

        await ProblemAsync(answer, HttpStatusCode.NotImplemented, "IMG_URL_SIGNING_KEYS");
        await ProblemAsync(fetch, HttpStatusCode.Forbidden, "not valid");
    }

    [Theory]
    [InlineData("""{"expires_in": 59}""", "expires_in")]
    [InlineData("""{"expires_in": 604801}""", "expires_in")]
    [InlineData("""{"expires_in": 0}""", "expires_in")]
    [InlineData("""{"expires_in": -60}""", "expires_in")]
    [InlineData("""{"rendition": "preview"}""", "rendition")]
    [InlineData("""{"rendition": "Thumbnail"}""", "rendition")]
    [InlineData("""{"rendition": "thumbnail", "format": "gif"}""", "format")]
    [InlineData("""{"format": "webp"}""", "format")]
    [InlineData("""{"expires_in": "soon"}""", "request")]
    [InlineData("""{"expires_in": 99999999999}""", "request")]
    [InlineData("""[1, 2]""", "request")]
    public async Task BadInputIs422WithTheFieldInTheErrors_FR8_5(string body, string field)
    {
        var (id, _) = await UploadAsync(seed: 8);

        using var answer = await SignAsync(id, body);

        var problem = await ProblemAsync(answer, (HttpStatusCode)422, "");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Theory]
    [InlineData("""{"expires_in": 60}""")]
    [InlineData("""{"expires_in": 604800}""")]
    [InlineData("""{"rendition": null, "format": null}""")]
    [InlineData("")]
    public async Task TheBoundsAndAnEmptyBodyAreAccepted_FR8_5(string body)
    {
        var (id, _) = await UploadAsync(seed: 9);
        var url = await SignedUrlAsync(id, body);
        using var response = await _client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task UnknownImagesAre404AndMalformedIdsAre422_FR8_5()
    {
        await ProblemAsync(await SignAsync(Guid.NewGuid().ToString(), "{}"), HttpStatusCode.NotFound, "not found");
        await ProblemAsync(await SignAsync("not-a-uuid", "{}"), (HttpStatusCode)422, "");
        using var withoutKey = await _client.PostAsync($"/api/v1/images/{Guid.NewGuid()}/signed-urls", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
    }

    /// <summary>
    /// A rendition with a format is signed for GET /api/v1/images/{id}/renditions/{name}?format=
    /// (FR-8.3), which the API key middleware lets through on its signature: until that endpoint
    /// exists it answers 404 there, not 401 or 403.
    /// </summary>
    [Fact]
    public async Task ARenditionWithAFormatIsSignedForTheRenditionsRoute_FR8_5()
    {
        var (id, _) = await UploadAsync(seed: 10);

        var url = await SignedUrlAsync(id, """{"rendition": "thumbnail", "format": "WEBP"}""");

        Assert.Matches($"^/api/v1/images/{id}/renditions/thumbnail\\?format=webp&expires=[0-9]+&sig=[A-Za-z0-9_-]{{43}}$", url);
        using var signed = await _client.GetAsync(url);
        Assert.NotEqual(HttpStatusCode.Unauthorized, signed.StatusCode);
        Assert.NotEqual(HttpStatusCode.Forbidden, signed.StatusCode);
        using var unsigned = await _client.GetAsync($"/api/v1/images/{id}/renditions/thumbnail?format=webp");
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
    }

    [Fact]
    public async Task SignedRequestsAreStillRateLimited_FR7_2_FR8_5()
    {
        var (id, _) = await UploadAsync(seed: 11);
        var url = await SignedUrlAsync(id, "{}");
        await using var limited = api.Variant(
            SignedUrlFixture.OldKey,
            new Dictionary<string, string?> { ["IMG_RATE_LIMIT_READ_MAX"] = "2", ["IMG_RATE_LIMIT_READ_WINDOW"] = "3600" });
        using var client = limited.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync(url);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    public static TheoryData<string, string> MalformedKeyLists => new()
    {
        { "short-key-of-twenty-b", "has 21 bytes; each key needs at least 32" },
        { $"{SignedUrlFixture.OldKey},", "key 2 of 2 is empty" },
        { $"{SignedUrlFixture.OldKey},,{SignedUrlFixture.NewKey}", "key 2 of 3 is empty" },
        { $"{SignedUrlFixture.OldKey},{SignedUrlFixture.NewKey},{SignedUrlFixture.OldKey}", "key 3 of 3 repeats key 1" },
        { "a key with spaces in it, and more than 32 bytes of text", "key 1 of 2 contains whitespace" },
    };

    /// <summary>
    /// Each malformed list stops a host that registers the setting as the Api does
    /// (<c>AddImgOptions</c>, validated on start), with a message naming the variable and the key's
    /// position, never a key. (Through WebApplicationFactory a failed start sometimes surfaces as its
    /// own ObjectDisposedException under load, hiding the message: hence a plain host here, and the
    /// real Api process below.)
    /// </summary>
    [Theory]
    [MemberData(nameof(MalformedKeyLists))]
    public async Task AMalformedKeyListStopsStartUpNamingTheVariableWithoutRepeatingAKey_NFR2_FR8_5(string keys, string message)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["IMG_URL_SIGNING_KEYS"] = keys });
        builder.Services.AddImgOptions<Images.Api.UrlSigningOptions>();
        using var host = builder.Build();

        var error = (await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync())).ToString();

        Assert.Contains("IMG_URL_SIGNING_KEYS", error, StringComparison.Ordinal);
        Assert.Contains(message, error, StringComparison.Ordinal);
        AssertNoKeyIn(keys, error);
    }

    [Fact]
    public async Task TheApiProcessStopsOnAShortKeyNamingTheVariableWithoutRepeatingIt_NFR2_FR8_5()
    {
        const string keys = "short-key-of-twenty-b";
        var storage = Path.Combine(Path.GetTempPath(), "images-tests-signingkeys-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var (exitCode, output) = await ServiceProcess.RunUntilExitAsync(
                ServiceProcess.Api,
                new Dictionary<string, string>
                {
                    // Never reached: the settings are checked before anything connects.
                    ["ConnectionStrings__imagesdb"] = ServiceProcess.UnreachableDatabase,
                    ["IMG_STORAGE_BASE_DIR"] = storage,
                    ["IMG_URL_SIGNING_KEYS"] = keys,
                },
                TimeSpan.FromSeconds(30));

            Assert.True(exitCode != 0, output);
            Assert.Contains("IMG_URL_SIGNING_KEYS: key 1 of 1 has 21 bytes; each key needs at least 32", output, StringComparison.Ordinal);
            AssertNoKeyIn(keys, output);
        }
        finally
        {
            if (Directory.Exists(storage))
            {
                Directory.Delete(storage, recursive: true);
            }
        }
    }

    private static void AssertNoKeyIn(string keys, string text)
    {
        foreach (var key in keys.Split(',').Select(k => k.Trim()).Where(k => k.Length > 0))
        {
            Assert.DoesNotContain(key, text, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Everything logged, at every level and category (ASP.NET Core's own request lines included),
    /// while URLs are signed, used, tampered with and expire under two keys: neither key appears, in
    /// text, hex or base64. At the shipped levels the signatures do not appear either.
    /// </summary>
    [Fact]
    public async Task SigningKeysNeverAppearInLogs_FR8_5()
    {
        using var everything = new CapturingLoggerProvider();
        await using var verbose = api.Variant(
            $"{SignedUrlFixture.NewKey},{SignedUrlFixture.OldKey}",
            new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Trace", ["Logging:LogLevel:Microsoft"] = "Trace", ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace" },
            everything);
        using var client = verbose.CreateClient();

        var (id, _) = await UploadAsync(seed: 12);
        var urls = new List<string>();
        foreach (var body in new[] { "{}", """{"rendition": "thumbnail"}""", """{"rendition": "thumbnail", "format": "avif"}""" })
        {
            var url = await SignedUrlAsync(id, body, client);
            urls.Add(url);
            (await client.GetAsync(url)).Dispose();
            (await client.GetAsync(url[..^2] + "xx")).Dispose();
            (await _client.GetAsync(url)).Dispose();
        }

        // A signed URL whose "?" was encoded: its signature now sits in the path, which is logged.
        (await client.GetAsync(urls[0].Replace("?", "%3F", StringComparison.Ordinal))).Dispose();
        (await _client.GetAsync(urls[0].Replace("?", "%3F", StringComparison.Ordinal))).Dispose();
        api.TestClock.Advance(TimeSpan.FromHours(2));
        (await client.GetAsync(urls[0])).Dispose();

        var logged = everything.Messages.Select(m => m.Message)
            .Concat(everything.Entries.SelectMany(e => e.State.Values.Select(v => v?.ToString() ?? "")))
            .Concat(everything.Exceptions.Select(e => e.Exception.ToString()))
            .ToList();
        Assert.NotEmpty(logged);
        Assert.Contains(logged, line => line.Contains("Signed URL refused", StringComparison.Ordinal));
        foreach (var key in new[] { SignedUrlFixture.NewKey, SignedUrlFixture.OldKey })
        {
            var bytes = Encoding.UTF8.GetBytes(key);
            foreach (var form in new[] { key, Convert.ToHexString(bytes), Convert.ToHexStringLower(bytes), Convert.ToBase64String(bytes), System.Buffers.Text.Base64Url.EncodeToString(bytes) })
            {
                Assert.DoesNotContain(logged, line => line.Contains(form, StringComparison.OrdinalIgnoreCase));
            }
        }

        // At the shipped levels (the fixture's Api): the request log has paths, never a signature.
        var signatures = urls.Select(u => u[(u.LastIndexOf("sig=", StringComparison.Ordinal) + 4)..]).ToList();
        var shipped = api.Logs.Messages.Select(m => m.Message).ToList();
        Assert.Contains(shipped, line => line.Contains($"/api/v1/images/{id}/download", StringComparison.Ordinal));
        Assert.DoesNotContain(shipped, line => signatures.Any(s => line.Contains(s, StringComparison.Ordinal)));
    }

    private static char Replacement(char c) => c switch
    {
        >= 'a' and < 'z' or >= 'A' and < 'Z' or >= '0' and < '9' => (char)(c + 1),
        'z' => 'a',
        'Z' => 'A',
        '9' => '0',
        _ => 'x',
    };

    private async Task<(string Id, byte[] Bytes)> UploadAsync(int seed)
    {
        var bytes = TestImages.Png(70, 50, seed: 8100 + seed);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/images/") { Content = ApiClientExtensions.UploadForm(bytes, "image/png") };
        request.Headers.Add("X-API-Key", SignedUrlFixture.ApiKey);
        using var response = await _client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return (JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!, bytes);
    }

    private async Task WaitCompletedAsync(string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var response = await SendAsync(HttpMethod.Get, $"/api/v1/images/{id}", ApiKey);
            var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString();
            if (status is "completed" or "failed")
            {
                Assert.Equal("completed", status);
                return;
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    private Task<HttpResponseMessage> SignAsync(string id, string body, HttpClient? client = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/images/{id}/signed-urls");
        if (body.Length > 0)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        request.Headers.Add("X-API-Key", SignedUrlFixture.ApiKey);
        return (client ?? _client).SendAsync(request);
    }

    private async Task<string> SignedUrlAsync(string id, string body, HttpClient? client = null)
    {
        using var response = await SignAsync(id, body, client);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("url").GetString()!;
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? key)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Add("X-API-Key", key);
        }

        return _client.SendAsync(request);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected, string detail)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        return problem;
    }
}
