using System.Text.Json;
using Images.Tests.Support;

namespace Images.Tests.WebConsole;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserCollection
{
    public const string Name = "browser";
}

/// <summary>A migrated database and a real Api process (Kestrel on a loopback port) that a browser can reach.</summary>
public abstract class ConsoleApiFixture : DatabaseFixture
{
    private readonly string _storage = Path.Combine(Path.GetTempPath(), "images-tests-console-" + Guid.NewGuid().ToString("N")[..12]);

    public ServiceProcess Api { get; private set; } = null!;

    public abstract string? ApiKey { get; }

    protected virtual IDictionary<string, string> Settings => new Dictionary<string, string>();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__imagesdb"] = ConnectionString,
            ["IMG_STORAGE_BASE_DIR"] = _storage,
            ["IMG_RATE_LIMIT_UPLOAD_MAX"] = "100000",
            ["IMG_RATE_LIMIT_PROCESS_MAX"] = "100000",
            ["IMG_RATE_LIMIT_READ_MAX"] = "100000",
            ["IMG_RENDITIONS"] = "thumbnail:256,preview:512",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        if (ApiKey is { } key)
        {
            environment["IMG_API_KEY"] = key;
        }

        foreach (var (name, value) in Settings)
        {
            environment[name] = value;
        }

        Api = await ServiceProcess.StartApiAsync(environment, TimeSpan.FromSeconds(60));
    }

    public override async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await base.DisposeAsync();
        try
        {
            Directory.Delete(_storage, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

public sealed class OpenConsoleFixture : ConsoleApiFixture
{
    public override string? ApiKey => null;
}

public sealed class KeyedConsoleFixture : ConsoleApiFixture
{
    public override string? ApiKey => "console-test-key-0123456789";

    /// <summary>With signing keys: the console shows images through signed URLs (FR-8.5).</summary>
    protected override IDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["IMG_URL_SIGNING_KEYS"] = "a-signing-key-for-the-console-browser-test-0123456789",
    };
}

/// <summary>Runs Images.Tests/WebConsole/console-scenario.mjs in headless Chromium against the fixture's Api.</summary>
internal static class ConsoleScenario
{
    public static async Task<JsonElement> RunAsync(ConsoleApiFixture api, string name)
    {
        await BrowserTools.EnsureModulesAsync();
        var files = Path.Combine(Path.GetTempPath(), "images-tests-console-files-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(files);
        var shots = RepositoryFiles.PathOf("TestResults", "console", name);
        Directory.CreateDirectory(shots);
        try
        {
            var first = Path.Combine(files, "harbour.jpg");
            var second = Path.Combine(files, "meadow.png");
            var broken = Path.Combine(files, "broken.png");
            var text = Path.Combine(files, "notes.txt");
            await File.WriteAllBytesAsync(first, TestImages.Jpeg(900, 600, seed: 1621));
            await File.WriteAllBytesAsync(second, TestImages.Png(640, 480, seed: 1622));
            // A PNG signature, then noise: accepted by its magic bytes, then failed by the decoder (FR-2.6).
            await File.WriteAllBytesAsync(broken, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. System.Security.Cryptography.RandomNumberGenerator.GetBytes(400)]);
            await File.WriteAllTextAsync(text, "not an image at all\n");
            string[] arguments = [api.Api.BaseAddress.ToString().TrimEnd('/'), shots, first, second, broken, text, .. api.ApiKey is { } key ? [key] : Array.Empty<string>()];
            var (exitCode, output, error) = await BrowserTools.RunScriptAsync(
                RepositoryFiles.PathOf("Images.Tests", "WebConsole", "console-scenario.mjs"), arguments, TimeSpan.FromMinutes(3));
            Assert.True(exitCode == 0, $"the browser scenario failed ({exitCode}):\n{error}\n{output}\n--- api ---\n{api.Api.Output}");
            return JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.Clone();
        }
        finally
        {
            Directory.Delete(files, recursive: true);
        }
    }
}

/// <summary>
/// FR-12.3 in a real browser (Debian's chromium, headless, driven by puppeteer-core) against a real
/// Api and PostgreSQL: uploads with their messages, the live list, the image page, delete,
/// operations, and an axe-core scan of each page (no serious or critical violation). Screenshots go
/// to TestResults/console/.
/// </summary>
[Collection(BrowserCollection.Name)]
public class ConsoleBrowserTests(OpenConsoleFixture api) : IClassFixture<OpenConsoleFixture>
{
    [Fact]
    public async Task APersonWithOnlyABrowserUploadsWatchesInspectsAndDeletes_FR12_3()
    {
        var seen = await ConsoleScenario.RunAsync(api, "open");

        Assert.Contains("delete it", seen.GetProperty("steps").EnumerateArray().Select(s => s.GetString()));
        // thumbnail and preview, each as JPEG, WebP and (where libavif is) AVIF.
        Assert.True(seen.GetProperty("renditions").GetInt32() >= 4);
    }
}

/// <summary>The same with IMG_API_KEY set: the console asks for the key once and shows images through signed URLs.</summary>
[Collection(BrowserCollection.Name)]
public class ConsoleBrowserWithKeyTests(KeyedConsoleFixture api) : IClassFixture<KeyedConsoleFixture>
{
    [Fact]
    public async Task TheConsoleAsksForTheKeyOnceAndKeepsItOutOfUrls_FR12_3_FR7_1()
    {
        var seen = await ConsoleScenario.RunAsync(api, "keyed");

        Assert.Equal("key prompt", seen.GetProperty("steps")[1].GetString());
    }
}
