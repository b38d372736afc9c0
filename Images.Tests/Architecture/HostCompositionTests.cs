using Images.Tests.Support;

namespace Images.Tests.Architecture;

/// <summary>
/// NFR-1: each host's composition is whole. In Development the generic host validates every
/// registration when it builds (ValidateOnBuild, ValidateScopes), so a use case whose port a host
/// forgot stops that host at once, as it would stop it under the AppHost. The processes run with
/// nothing reachable: the service graph is built before anything connects.
/// </summary>
public class HostCompositionTests
{
    [Theory]
    [InlineData(ServiceProcess.Api)]
    [InlineData(ServiceProcess.Worker)]
    public async Task EveryRegisteredServiceOfTheHostCanBeConstructed_NFR1(string host)
    {
        var storage = Path.Combine(Path.GetTempPath(), "images-tests-composition-" + Guid.NewGuid().ToString("N")[..12]);
        var environment = ServiceProcess.OfflineEnvironment(host, storage);
        environment["DOTNET_ENVIRONMENT"] = "Development";
        environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        try
        {
            await using var process = await ServiceProcess.StartAliveAsync(host, environment, TimeSpan.FromSeconds(60));

            Assert.False(process.HasExited, process.Output);
            Assert.DoesNotContain("Some services are not able to be constructed", process.Output, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(storage))
            {
                Directory.Delete(storage, recursive: true);
            }
        }
    }
}
