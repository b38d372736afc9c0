namespace Images.Tests.Support;

/// <summary>
/// A stand-in for the test output directory made of symbolic links to its files and folders, with
/// some files left out: a deployment that lacks them, without copying 200 files. The hosts' entry
/// assemblies are copies, not links: the .NET host resolves the real path of the app it runs and
/// would take its base directory (and so every other file) from the output directory again.
/// </summary>
public sealed class OutputDirectoryLinks : IDisposable
{
    private static readonly string[] EntryAssemblies = [ServiceProcess.Api, ServiceProcess.Worker];

    private OutputDirectoryLinks(string path) => Path = path;

    public string Path { get; }

    /// <summary>Links everything in AppContext.BaseDirectory but the given paths (relative, with '/').</summary>
    public static OutputDirectoryLinks Without(params string[] leftOut)
    {
        var links = new OutputDirectoryLinks(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "images-tests-links-" + Guid.NewGuid().ToString("N")[..12]));
        Link(AppContext.BaseDirectory, links.Path, string.Empty, leftOut.ToHashSet());
        return links;
    }

    /// <summary>Removes the links and the folders made for them; what they point at stays.</summary>
    public void Dispose() => Remove(Path);

    private static void Link(string source, string target, string relative, HashSet<string> leftOut)
    {
        Directory.CreateDirectory(target);
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            var name = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
            var to = System.IO.Path.Combine(target, entry.Name);
            if (leftOut.Contains(name))
            {
                continue;
            }

            if (entry is DirectoryInfo directory && leftOut.Any(l => l.StartsWith(name + "/", StringComparison.Ordinal)))
            {
                Link(directory.FullName, to, name, leftOut);
            }
            else if (entry is DirectoryInfo)
            {
                Directory.CreateSymbolicLink(to, entry.FullName);
            }
            else if (relative.Length == 0 && EntryAssemblies.Contains(entry.Name))
            {
                File.Copy(entry.FullName, to);
            }
            else
            {
                File.CreateSymbolicLink(to, entry.FullName);
            }
        }
    }

    private static void Remove(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
        {
            if (entry.LinkTarget is not null || entry is FileInfo)
            {
                File.Delete(entry.FullName);
            }
            else
            {
                Remove(entry.FullName);
            }
        }

        Directory.Delete(directory);
    }
}
