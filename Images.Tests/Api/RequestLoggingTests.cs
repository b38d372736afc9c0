using Images.Tests.Support;

namespace Images.Tests.Api;

/// <summary>FR-5.2: every request is logged with method, path, status and latency, as structured fields.</summary>
public class RequestLoggingTests(ApiFixture database) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task EveryRequestIsLoggedWithMethodPathStatusAndLatency_FR5_2()
    {
        using var logs = new CapturingLoggerProvider();
        await using var factory = new ApiFactory(database, logs: logs);
        using var client = factory.CreateClient();

        await client.GetAsync("/health");
        await client.GetAsync("/api/v1/images/not-a-uuid");

        var requests = logs.Entries.Where(e => e.Category.EndsWith("RequestLoggingMiddleware", StringComparison.Ordinal)).ToList();
        var health = Assert.Single(requests, e => Equals(e.State["Path"], "/health"));
        Assert.Equal("GET", health.State["Method"]);
        Assert.Equal(200, health.State["StatusCode"]);
        Assert.IsType<double>(health.State["LatencyMs"]);
        var invalid = Assert.Single(requests, e => Equals(e.State["Path"], "/api/v1/images/not-a-uuid"));
        Assert.Equal(422, invalid.State["StatusCode"]);
    }
}
