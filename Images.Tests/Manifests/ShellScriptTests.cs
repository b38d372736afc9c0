using Images.Tests.Support;

namespace Images.Tests.Manifests;

/// <summary>The repository's shell scripts are shellcheck-clean (when shellcheck is installed, as .ci/run does).</summary>
public class ShellScriptTests
{
    [Fact]
    public async Task ScriptsAreShellcheckClean()
    {
        var shellcheck = RepositoryFiles.FindOnPath("shellcheck");
        var scripts = new[] { "run.sh", ".ci/run", "manifests/regenerate.sh", "Images.AppHost/scripts/local-postgres.sh" }
            .Concat(Directory.GetFiles(RepositoryFiles.PathOf("minikube"), "*.sh").Select(f => Path.GetRelativePath(RepositoryFiles.Root, f)))
            .Concat(Directory.GetFiles(RepositoryFiles.PathOf("bench"), "*.sh").Select(f => Path.GetRelativePath(RepositoryFiles.Root, f)))
            .ToList();
        Assert.All(scripts, script => Assert.True(File.Exists(RepositoryFiles.PathOf(script)), script));
        if (shellcheck is null)
        {
            return;
        }

        var (exitCode, output, error) = await RepositoryFiles.RunAsync(shellcheck, scripts.Select(s => RepositoryFiles.PathOf(s)), TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0, output + error);
    }
}
