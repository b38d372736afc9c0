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
        await DebianPackages.UnpackedAsync(Directory, [Package], "The alpha tests (or IMG_TEST_ALPHA_DIR pointing at a folder holding the package)");
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
