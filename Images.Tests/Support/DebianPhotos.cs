namespace Images.Tests.Support;

/// <summary>
/// Real images for NFR-4's comparisons, taken from Debian packages the way bench/corpus.sh does
/// (never committed): photos (JPEG) and artwork (PNG) from ukui-wallpapers, WebP from
/// gnome-backgrounds. Fetched once with apt-get download into .data/test-photos (git-ignored), or
/// read from IMG_TEST_PHOTOS_DIR when that names a folder already holding them.
/// </summary>
public sealed class DebianPhotos : IAsyncLifetime
{
    private static readonly string[] Packages = ["ukui-wallpapers", "gnome-backgrounds"];

    public string Directory { get; } = Environment.GetEnvironmentVariable("IMG_TEST_PHOTOS_DIR") is { Length: > 0 } configured
        ? configured
        : RepositoryFiles.PathOf(".data", "test-photos");

    public IReadOnlyList<string> Files { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var unpacked = await DebianPackages.UnpackedAsync(Directory, Packages, "The real-photo tests (or IMG_TEST_PHOTOS_DIR pointing at a folder holding them)");

        Files = System.IO.Directory.GetFiles(unpacked, "*", SearchOption.AllDirectories)
            .Where(f => new FileInfo(f).Length > 20_000)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The real files with this extension, largest first (at most <paramref name="count"/>).</summary>
    public IReadOnlyList<string> Take(string extension, int count)
    {
        var chosen = Files.Where(f => f.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(f => new FileInfo(f).Length).ThenBy(f => f, StringComparer.Ordinal)
            .Take(count).ToList();
        return chosen.Count > 0 ? chosen : throw new InvalidOperationException($"No {extension} files among the real photos in {Directory}.");
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
