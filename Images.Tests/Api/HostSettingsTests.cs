using Images.Tests.Support;

namespace Images.Tests.Api;

/// <summary>
/// NFR-2 for the host-level variables read while a host is composed (IMG_DEBUG, IMG_LOG_JSON,
/// IMG_OTEL_ENABLED, the OTLP endpoint): a typo stops start-up naming the variable, as for every
/// other IMG_ variable, instead of silently meaning false.
/// </summary>
public class HostSettingsTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Theory]
    [InlineData("IMG_DEBUG", "ture")]
    [InlineData("IMG_LOG_JSON", "yes please")]
    [InlineData("IMG_OTEL_ENABLED", "2")]
    public async Task ATypoInAHostVariableStopsStartUpNamingIt_NFR2(string name, string value)
    {
        await using var factory = new ApiFactory(database, new Dictionary<string, string?> { [name] = value });
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains($"{name} must be true or false; got '{value}'.", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOtlpEndpointThatIsNoUrlStopsStartUpNamingIt_NFR2()
    {
        await using var factory = new ApiFactory(database, new Dictionary<string, string?>
        {
            ["IMG_OTEL_ENABLED"] = "true",
            ["IMG_OTEL_EXPORTER_OTLP_ENDPOINT"] = "collector:4317 please",
        });
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("IMG_OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute URL", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("IMG_DEBUG", "true")]
    [InlineData("IMG_LOG_JSON", "0")]
    [InlineData("IMG_OTEL_ENABLED", "off")]
    public async Task TheSeedsSpellingsOfTrueAndFalseAreAccepted_NFR2(string name, string value)
    {
        await using var factory = new ApiFactory(database, new Dictionary<string, string?> { [name] = value });
        using var client = factory.CreateClient();
        Assert.True((await client.GetAsync("/alive")).IsSuccessStatusCode);
    }
}
