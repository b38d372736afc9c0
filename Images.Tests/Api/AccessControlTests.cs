using System.Net;
using Images.Tests.Support;

namespace Images.Tests.Api;

public sealed class SecuredFixture : ApiFixture
{
    public const string Key = "s3cret-key";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["IMG_API_KEY"] = Key,
        ["IMG_RATE_LIMIT_UPLOAD_MAX"] = "2",
        ["IMG_RATE_LIMIT_UPLOAD_WINDOW"] = "3600",
        ["IMG_RATE_LIMIT_READ_MAX"] = "1000",
        ["IMG_CORS_ORIGINS"] = "[\"http://localhost:3000\"]",
    };
}

/// <summary>FR-7: API key, per-IP rate limits and CORS.</summary>
public class AccessControlTests(SecuredFixture api) : IClassFixture<SecuredFixture>
{
    private HttpRequestMessage Request(HttpMethod method, string path, string? key)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Add("X-API-Key", key);
        }

        return request;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("wrong")]
    [InlineData("s3cret-key-and-more")]
    public async Task ApiCallsWithoutTheRightKeyAre401_FR7_1(string? key)
    {
        using var response = await api.Client.SendAsync(Request(HttpMethod.Get, "/api/v1/images/", key));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task TheRightKeyIsLetThroughAndHealthStaysOpen_FR7_1()
    {
        using var list = await api.Client.SendAsync(Request(HttpMethod.Get, "/api/v1/images/", SecuredFixture.Key));
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        using var health = await api.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task UploadsBeyondTheLimitAre429WithRetryAfter_FR7_2()
    {
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 3; i++)
        {
            var request = Request(HttpMethod.Post, "/api/v1/images/", SecuredFixture.Key);
            request.Content = ApiClientExtensions.UploadForm(TestImages.Png(32, 32, seed: 40 + i), "image/png");
            last = await api.Client.SendAsync(request);
            statuses.Add(last.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests], statuses);
        Assert.True(int.Parse(last!.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);

        // Other endpoint families have their own budgets.
        using var read = await api.Client.SendAsync(Request(HttpMethod.Get, "/api/v1/images/", SecuredFixture.Key));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task CorsAnswersListedOriginsOnly_FR7_3()
    {
        var allowed = Request(HttpMethod.Options, "/api/v1/images/", null);
        allowed.Headers.Add("Origin", "http://localhost:3000");
        allowed.Headers.Add("Access-Control-Request-Method", "GET");
        using var ok = await api.Client.SendAsync(allowed);
        Assert.Equal("http://localhost:3000", ok.Headers.GetValues("Access-Control-Allow-Origin").Single());

        var other = Request(HttpMethod.Options, "/api/v1/images/", null);
        other.Headers.Add("Origin", "http://evil.example");
        other.Headers.Add("Access-Control-Request-Method", "GET");
        using var refused = await api.Client.SendAsync(other);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }
}

/// <summary>FR-7.3: without IMG_CORS_ORIGINS, no CORS headers at all.</summary>
public class CorsOffByDefaultTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task NoOriginIsAllowedWhenNoneIsConfigured_FR7_3()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/images/");
        request.Headers.Add("Origin", "http://localhost:3000");
        using var response = await api.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }
}
