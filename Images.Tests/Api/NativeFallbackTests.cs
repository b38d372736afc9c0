using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Images.Tests.Support;

namespace Images.Tests.Api;

/// <summary>
/// NFR-4 on a deployment without the native library: the real Api process, run from a copy of the
/// output directory that lacks runtimes/&lt;rid&gt;/native/libimages_native.so, processes a JPEG on
/// the managed path, says so on /health, and warns about the fallback exactly once.
/// </summary>
public partial class NativeFallbackTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task WithoutTheNativeLibraryTheApiFallsBackToImageSharpAndSaysSoOnce_NFR4()
    {
        var library = $"runtimes/{RuntimeInformation.RuntimeIdentifier}/native/libimages_native.so";
        // The library is really there to be left out: the output directory itself runs natively.
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, library)), $"{library} was not built into the test output");
        using var links = OutputDirectoryLinks.Without(library);
        var storage = Path.Combine(Path.GetTempPath(), "images-tests-fallback-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            await using var api = await ServiceProcess.StartApiAsync(
                new Dictionary<string, string>
                {
                    ["ConnectionStrings__imagesdb"] = database.ConnectionString,
                    ["IMG_STORAGE_BASE_DIR"] = storage,
                    ["Logging__LogLevel__Default"] = "Information",
                },
                TimeSpan.FromSeconds(60),
                links.Path);
            using var client = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

            var id = (await client.UploadAsync(TestImages.Jpeg(640, 480, seed: 44), "image/jpeg")).GetProperty("id").GetString()!;
            var image = await client.WaitForStatusAsync(id, TimeSpan.FromSeconds(30), "completed", "failed");
            var health = await client.GetJsonAsync("/health");

            Assert.True(image.GetProperty("status").GetString() == "completed", image.ToString());
            Assert.True(image.GetProperty("thumbnail_available").GetBoolean());
            Assert.StartsWith("managed (ImageSharp)", health.GetProperty("details").GetProperty("image-processor").GetString(), StringComparison.Ordinal);
            Assert.False(api.HasExited, api.Output);
            var warnings = FallbackWarning().Matches(api.Output);
            Assert.True(warnings.Count == 1, $"{warnings.Count} fallback warnings in:\n{api.Output}");
        }
        finally
        {
            if (Directory.Exists(storage))
            {
                Directory.Delete(storage, recursive: true);
            }
        }
    }

    [GeneratedRegex("the native fast path is unavailable")]
    private static partial Regex FallbackWarning();
}
