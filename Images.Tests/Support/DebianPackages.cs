namespace Images.Tests.Support;

/// <summary>
/// Real test files from Debian packages: fetched once with <c>apt-get download</c> and unpacked
/// with <c>dpkg -x</c> into <c>folder/unpacked</c> (git-ignored <c>.data</c> folders). A half-done
/// unpack never counts: it lands under a temporary name and is renamed at the end.
/// </summary>
public static class DebianPackages
{
    // Fixtures of several test classes ask for one folder at once (the photos): one fetches, the
    // others wait for it, instead of unpacking debs another has just deleted.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> Locks = new(StringComparer.Ordinal);

    /// <summary>Unpacks the packages into <c>folder/unpacked</c> unless it is there; returns that path.</summary>
    /// <param name="why">Who needs them and the variable that points at a ready folder instead, for the error.</param>
    public static async Task<string> UnpackedAsync(string folder, IReadOnlyList<string> packages, string why)
    {
        var gate = Locks.GetOrAdd(Path.GetFullPath(folder), _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync();
        try
        {
            return await FetchAsync(folder, packages, why);
        }
        finally
        {
            gate.Release();
        }
    }

    private static async Task<string> FetchAsync(string folder, IReadOnlyList<string> packages, string why)
    {
        var unpacked = Path.Combine(folder, "unpacked");
        if (Directory.Exists(unpacked))
        {
            return unpacked;
        }

        var debs = Path.Combine(folder, "debs");
        Directory.CreateDirectory(debs);
        var apt = RepositoryFiles.FindOnPath("apt-get") ?? throw new InvalidOperationException(
            $"{why}: Debian's apt-get is needed to fetch {string.Join(", ", packages)}.");
        var download = await RepositoryFiles.RunAsync(new System.Diagnostics.ProcessStartInfo(apt, ["download", .. packages])
        {
            WorkingDirectory = debs,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }, TimeSpan.FromMinutes(5));
        if (download.ExitCode != 0)
        {
            throw new InvalidOperationException($"apt-get download {string.Join(' ', packages)} failed ({download.ExitCode}): {download.Error}");
        }

        var staging = unpacked + ".partial";
        foreach (var deb in Directory.GetFiles(debs, "*.deb"))
        {
            var unpack = await RepositoryFiles.RunAsync("dpkg", ["-x", deb, staging], TimeSpan.FromMinutes(2));
            if (unpack.ExitCode != 0)
            {
                throw new InvalidOperationException($"dpkg -x {deb} failed: {unpack.Error}");
            }
        }

        Directory.Move(staging, unpacked);
        Directory.Delete(debs, recursive: true);
        return unpacked;
    }
}
