using System.Diagnostics;

namespace Images.Tests.Support;

/// <summary>
/// A tmpfs of a few hundred kilobytes mounted for one test: a disk that really fills up (ENOSPC),
/// for the NFR-9 full-disk tests. Mounting needs root, as CI runs; <see cref="RootFactAttribute"/>
/// skips such tests visibly elsewhere.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private SmallDisk(string path) => Path = path;

    public string Path { get; }

    public static SmallDisk Mount(int kilobytes)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "images-tests-disk-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        Run("mount", "-t", "tmpfs", "-o", $"size={kilobytes}k", "tmpfs", path);
        return new SmallDisk(path);
    }

    /// <summary>Fills the disk to the last byte with a file that <see cref="Free"/> removes.</summary>
    public void Fill()
    {
        // Unbuffered, so every write reaches the disk and nothing is left to flush at the end.
        using var filler = new FileStream(System.IO.Path.Combine(Path, "filler"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        foreach (var size in new[] { 65536, 4096, 1 })
        {
            var block = new byte[size];
            try
            {
                while (true)
                {
                    filler.Write(block);
                }
            }
            catch (IOException)
            {
                // Full at this block size; a smaller one may still fit.
            }
        }
    }

    public void Free() => File.Delete(System.IO.Path.Combine(Path, "filler"));

    public void Dispose()
    {
        Run("umount", "-l", Path);
        Directory.Delete(Path, recursive: true);
    }

    private static void Run(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, UseShellExecute = false })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit(10_000);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error}");
        }
    }
}

/// <summary>A fact that needs root (to mount a small disk, say): skipped, and so counted, when not root.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (Environment.UserName != "root")
        {
            Skip = "needs root (CI runs as root): it mounts a tmpfs";
        }
    }
}
