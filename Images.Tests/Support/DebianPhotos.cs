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
        var unpacked = Path.Combine(Directory, "unpacked");
        if (!System.IO.Directory.Exists(unpacked))
        {
            var debs = Path.Combine(Directory, "debs");
            System.IO.Directory.CreateDirectory(debs);
            var apt = RepositoryFiles.FindOnPath("apt-get") ?? throw new InvalidOperationException(
                "The real-photo tests need Debian's apt-get to fetch " + string.Join(", ", Packages) + ", or IMG_TEST_PHOTOS_DIR pointing at a folder holding them.");
            var download = await RepositoryFiles.RunAsync(new System.Diagnostics.ProcessStartInfo(apt, ["download", .. Packages])
            {
                WorkingDirectory = debs,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            }, TimeSpan.FromMinutes(5));
            if (download.ExitCode != 0)
            {
                throw new InvalidOperationException($"apt-get download {string.Join(' ', Packages)} failed ({download.ExitCode}): {download.Error}");
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
