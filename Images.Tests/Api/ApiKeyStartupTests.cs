using System.Net;
using Images.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Images.Tests.Api;

/// <summary>
/// FR-7.1 / NFR-2 at start-up, through the real Api host: the manifests' placeholder key stops the
/// Api with a message naming IMG_API_KEY; a short key is accepted and warned about once.
/// </summary>
public class ApiKeyStartupTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Theory]
    [InlineData("CHANGE-ME")]
    [InlineData("change-me")]
    [InlineData("  Change-Me  ")]
    public async Task ThePlaceholderKeyStopsStartUpNamingTheVariable_FR7_1(string key)
    {
        await using var factory = new ApiFactory(database, new Dictionary<string, string?> { ["IMG_API_KEY"] = key });
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("IMG_API_KEY", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("placeholder", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AShortKeyIsWarnedAboutAtStartUpAndKeepsWorking_FR7_1()
    {
        const string key = "seed-key-15char";
        using var logs = new CapturingLoggerProvider();
        await using var factory = new ApiFactory(database, new Dictionary<string, string?> { ["IMG_API_KEY"] = key }, logs: logs);
        using var client = factory.CreateClient();

        var warning = Assert.Single(logs.Messages, m => m.Level == LogLevel.Warning && m.Message.Contains("IMG_API_KEY", StringComparison.Ordinal));
        Assert.Contains("shorter than 16 characters", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(key, warning.Message, StringComparison.Ordinal);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/images/");
        request.Headers.Add("X-API-Key", key);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("a-key-of-16chars")]
    [InlineData(null)]
    public async Task AKeyOf16CharactersOrNoKeyIsNotWarnedAbout(string? key)
    {
        using var logs = new CapturingLoggerProvider();
        await using var factory = new ApiFactory(database, new Dictionary<string, string?> { ["IMG_API_KEY"] = key }, logs: logs);
        using var client = factory.CreateClient();
        using var health = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.DoesNotContain(logs.Messages, m => m.Level >= LogLevel.Warning && m.Message.Contains("IMG_API_KEY", StringComparison.Ordinal));
    }
}
