using System.Diagnostics;

namespace Images.Tests.Support;

/// <summary>
/// Debian's chromium (apt-get install chromium) and, in a git-ignored folder, puppeteer-core and
/// axe-core from npm at pinned versions (the constants below, the same as `.ci/run`'s): `.ci/run`
/// installs them; when they are missing, the first browser test runs the same npm install (bounded
/// in time, one at a time). Chromium itself is never downloaded: without /usr/bin/chromium the
/// browser tests fail and say how to install it.
/// </summary>
public static class BrowserTools
{
    public const string PuppeteerVersion = "25.16.0";
    public const string AxeVersion = "4.14.1";

    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    public static string ModulesDirectory => RepositoryFiles.PathOf(".data", "browser-tests");

    public static string Chromium =>
        Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } configured ? configured
        : File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium"
        : throw new InvalidOperationException("Chromium is not installed: `apt-get install -y chromium` (.ci/run does it), or set CHROMIUM to its path.");

    public static string Node() =>
        RepositoryFiles.FindOnPath("node") ?? RepositoryFiles.FindOnPath("nodejs")
        ?? throw new InvalidOperationException("node is not installed: `apt-get install nodejs npm` (.ci/run does it).");

    public static async Task EnsureModulesAsync()
    {
        var marker = Path.Combine(ModulesDirectory, "node_modules", "puppeteer-core", "package.json");
        var axe = Path.Combine(ModulesDirectory, "node_modules", "axe-core", "axe.min.js");
        if (File.Exists(marker) && File.Exists(axe))
        {
            return;
        }

        await InstallLock.WaitAsync();
        try
        {
            if (File.Exists(marker) && File.Exists(axe))
            {
                return;
            }

            Directory.CreateDirectory(ModulesDirectory);
            var npm = RepositoryFiles.FindOnPath("npm") ?? throw new InvalidOperationException("npm is not installed: `apt-get install nodejs npm` (.ci/run does it).");
            var (exitCode, output, error) = await RepositoryFiles.RunAsync(
                npm,
                ["install", "--prefix", ModulesDirectory, "--no-audit", "--no-fund", "--loglevel=error", $"puppeteer-core@{PuppeteerVersion}", $"axe-core@{AxeVersion}"],
                TimeSpan.FromMinutes(4));
            if (exitCode != 0 || !File.Exists(marker) || !File.Exists(axe))
            {
                throw new InvalidOperationException($"npm install puppeteer-core@{PuppeteerVersion} axe-core@{AxeVersion} failed ({exitCode}):\n{output}\n{error}");
            }
        }
        finally
        {
            InstallLock.Release();
        }
    }

    /// <summary>Runs a Node script with the modules on its path; kills it after <paramref name="timeout"/>.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunScriptAsync(string script, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(Node())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(ModulesDirectory);
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        psi.Environment["CHROMIUM"] = Chromium;
        try
        {
            return await RepositoryFiles.RunAsync(psi, timeout);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Path.GetFileName(script)} was still running after {timeout} (killed)");
        }
    }
}
