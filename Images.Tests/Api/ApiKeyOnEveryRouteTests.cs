using System.Net;
using System.Text.RegularExpressions;
using Images.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Images.Tests.Api;

public sealed class KeyedFixture : ApiFixture
{
    public const string Key = "a-key-of-twenty-chars";

    /// <summary>With a signing key too, so that POST .../signed-urls (FR-8.5) answers as configured, not 501.</summary>
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["IMG_API_KEY"] = Key,
        ["IMG_URL_SIGNING_KEYS"] = "a-signing-key-of-at-least-32-bytes-for-the-route-test",
    };
}

/// <summary>
/// FR-7.1 on every route: the /api/v1 endpoints are read from the app's own EndpointDataSource, so
/// a route added later is covered without touching this test.
/// </summary>
public partial class ApiKeyOnEveryRouteTests(KeyedFixture api) : IClassFixture<KeyedFixture>
{
    [Fact]
    public async Task EveryApiV1RouteAnswers401ProblemWithoutTheKeyAndLetsTheKeyThrough_FR7_1()
    {
        var routes = ApiRoutes();
        // The enumeration itself works: the routes of the seed's contract are among them.
        Assert.Superset(
            new HashSet<string>
            {
                "POST /api/v1/images/", "GET /api/v1/images/", "GET /api/v1/images/{id}", "GET /api/v1/images/{id}/download",
                "POST /api/v1/images/{id}/process", "POST /api/v1/images/batch/process", "POST /api/v1/retention/sweep",
            },
            routes.Select(r => $"{r.Method} {r.Template}").ToHashSet());

        var problems = new List<string>();
        foreach (var (method, template) in routes)
        {
            var path = RouteParameter().Replace(template, Guid.NewGuid().ToString());
            foreach (var key in new string?[] { null, "wrong-" + KeyedFixture.Key })
            {
                using var refused = await SendAsync(method, path, key);
                if (refused.StatusCode != HttpStatusCode.Unauthorized || refused.Content.Headers.ContentType?.MediaType != "application/problem+json")
                {
                    problems.Add($"{method} {path} with key '{key}': {(int)refused.StatusCode} {refused.Content.Headers.ContentType}");
                }
            }

            using var allowed = await SendAsync(method, path, KeyedFixture.Key);
            if (allowed.StatusCode == HttpStatusCode.Unauthorized || (int)allowed.StatusCode >= 500)
            {
                problems.Add($"{method} {path} with the key: {(int)allowed.StatusCode} {await allowed.Content.ReadAsStringAsync()}");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    [InlineData("/metrics")]
    [InlineData("/docs")]
    [InlineData("/redoc")]
    [InlineData("/openapi/v1.json")]
    public async Task OperationalAndDocumentationRoutesNeedNoKey_FR7_1_FR5_1_FR6(string path)
    {
        using var response = await api.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Every (method, route template) under /api/v1 that the running app has mapped.</summary>
    private List<(string Method, string Template)> ApiRoutes() =>
        [.. api.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => ("/" + e.RoutePattern.RawText?.TrimStart('/')).StartsWith("/api/v1/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(method => (method, "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .Distinct()];

    private Task<HttpResponseMessage> SendAsync(string method, string path, string? key)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (key is not null)
        {
            request.Headers.Add("X-API-Key", key);
        }

        // Headers only: GET /api/v1/events (FR-12.1) answers with a stream that does not end.
        return api.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex RouteParameter();
}
