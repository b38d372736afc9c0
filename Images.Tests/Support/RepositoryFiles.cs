using System.Diagnostics;

namespace Images.Tests.Support;

/// <summary>Paths into the repository the tests run from, and small process helpers.</summary>
public static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>
    /// Runs a program and returns its exit code and output, within a timeout. With
    /// <paramref name="environment"/>, the inherited IMG_ and ConnectionStrings variables are
    /// dropped first, so only the given settings apply.
    /// </summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        string file, IEnumerable<string> arguments, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("IMG_", StringComparison.Ordinal) || k.StartsWith("ConnectionStrings", StringComparison.Ordinal)).ToList())
            {
                psi.Environment.Remove(key);
            }

            foreach (var (key, value) in environment)
            {
                psi.Environment[key] = value;
            }
        }

        return await RunAsync(psi, timeout);
    }

    /// <summary>Runs a prepared process (output redirected) and returns its exit code and output, within a timeout.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(ProcessStartInfo psi, TimeSpan timeout)
    {
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output, await error);
    }

    public static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Images.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The repository root (Images.sln) was not found above " + AppContext.BaseDirectory);
    }
}
