using Images.Tests.Support;

namespace Images.Tests.Api;

/// <summary>
/// NFR-2 on the real hosts: Images.Api.dll and Images.Worker.dll started as processes with one bad
/// IMG_ value (and every other setting good) stop by themselves, non-zero, within a bound, and say
/// which variable and which value.
/// </summary>
public class BadSettingStartupTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(ServiceProcess.Api, "IMG_THUMBNAIL_MAX_SIZE", "abc")]
    [InlineData(ServiceProcess.Api, "IMG_RATE_LIMIT_READ_MAX", "-1")]
    [InlineData(ServiceProcess.Api, "IMG_BROKER_ENABLED", "maybe")]
    [InlineData(ServiceProcess.Worker, "IMG_THUMBNAIL_MAX_SIZE", "abc")]
    [InlineData(ServiceProcess.Worker, "IMG_BROKER_ENABLED", "maybe")]
    [InlineData(ServiceProcess.Worker, "IMG_KAFKA_MAX_IN_FLIGHT", "-1")]
    [InlineData(ServiceProcess.Api, "IMG_DEBUG", "ture")]
    [InlineData(ServiceProcess.Api, "IMG_OTEL_ENABLED", "yess")]
    [InlineData(ServiceProcess.Worker, "IMG_LOG_JSON", "maybe")]
    [InlineData(ServiceProcess.Api, "IMG_STORAGE_BACKEND", "nfs")]
    [InlineData(ServiceProcess.Worker, "IMG_STORAGE_BACKEND", "nfs")]
    public async Task ABadImgValueStopsTheHostWithAMessageNamingTheVariable_NFR2(string host, string variable, string value)
    {
        var storage = Path.Combine(Path.GetTempPath(), "images-tests-badsetting-" + Guid.NewGuid().ToString("N")[..12]);
        // Never reached: the settings are checked before anything connects.
        var environment = ServiceProcess.OfflineEnvironment(host, storage);
        environment[variable] = value;
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (exitCode, output) = await ServiceProcess.RunUntilExitAsync(host, environment, Bound);

            Assert.True(exitCode != 0, $"{host} exited 0 after {clock.Elapsed.TotalSeconds:F1} s:\n{output}");
            Assert.Contains($"{variable} must be", output, StringComparison.Ordinal);
            Assert.Contains($"got '{value}'", output, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(storage))
            {
                Directory.Delete(storage, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData(ServiceProcess.Api)]
    [InlineData(ServiceProcess.Worker)]
    public async Task ABadS3SettingStopsTheHostAndTheSecretIsNeverPrinted_FR11_1(string host)
    {
        const string secret = "s3-secret-that-must-not-leak";
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__imagesdb"] = ServiceProcess.UnreachableDatabase,
            ["IMG_BROKER_ENABLED"] = host == ServiceProcess.Worker ? "true" : "false",
            ["IMG_KAFKA_BOOTSTRAP_SERVERS"] = "127.0.0.1:1",
            ["IMG_STORAGE_BACKEND"] = "s3",
            ["IMG_S3_ENDPOINT"] = "http://127.0.0.1:1",
            ["IMG_S3_BUCKET"] = "images",
            ["IMG_S3_ACCESS_KEY"] = "access",
            ["IMG_S3_SECRET_KEY"] = secret,
            ["IMG_S3_TIMEOUT_SECONDS"] = "forever",
            ["IMG_DEBUG"] = "true",
        };

        var (exitCode, output) = await ServiceProcess.RunUntilExitAsync(host, environment, Bound);

        Assert.True(exitCode != 0, output);
        Assert.Contains("IMG_S3_TIMEOUT_SECONDS must be", output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
    }
}
