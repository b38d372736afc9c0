namespace Images.Tests.Support;

/// <summary>
/// Real images with transparency for FR-8.2's alpha tests: Debian's logo artwork from the
/// desktop-base package (logo+emerald.png, 1689x1800 RGBA, transparent around the logo), fetched
/// once with apt-get download into .data/test-alpha (git-ignored, never committed), or read from
/// IMG_TEST_ALPHA_DIR when that names a folder already holding it.
/// </summary>
public sealed class DebianAlphaImages : IAsyncLifetime
{
    private const string Package = "desktop-base";

    public string Directory { get; } = Environment.GetEnvironmentVariable("IMG_TEST_ALPHA_DIR") is { Length: > 0 } configured
        ? configured
        : RepositoryFiles.PathOf(".data", "test-alpha");

    /// <summary>The Debian logo with its emerald glow, transparent around it.</summary>
    public string Logo => Path.Combine(Directory, "unpacked", "usr", "share", "plymouth", "themes", "emerald", "logo+emerald.png");

    public async Task InitializeAsync()
    {
        var unpacked = Path.Combine(Directory, "unpacked");
        if (System.IO.Directory.Exists(unpacked))
        {
            return;
        }

        var debs = Path.Combine(Directory, "debs");
        System.IO.Directory.CreateDirectory(debs);
        var apt = RepositoryFiles.FindOnPath("apt-get") ?? throw new InvalidOperationException(
            $"The alpha tests need Debian's apt-get to fetch {Package}, or IMG_TEST_ALPHA_DIR pointing at a folder holding it.");
        var download = await RepositoryFiles.RunAsync(new System.Diagnostics.ProcessStartInfo(apt, ["download", Package])
        {
            WorkingDirectory = debs,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }, TimeSpan.FromMinutes(5));
        if (download.ExitCode != 0)
        {
            throw new InvalidOperationException($"apt-get download {Package} failed ({download.ExitCode}): {download.Error}");
        }

        var staging = unpacked + ".partial";
        foreach (var deb in System.IO.Directory.GetFiles(debs, "*.deb"))
        {
            var unpack = await RepositoryFiles.RunAsync("dpkg", ["-x", deb, staging], TimeSpan.FromMinutes(2));
            if (unpack.ExitCode != 0)
            {
                throw new InvalidOperationException($"dpkg -x {deb} failed: {unpack.Error}");
            }
        }

        System.IO.Directory.Move(staging, unpacked);
        System.IO.Directory.Delete(debs, recursive: true);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
