using Images.Tests.Support;

namespace Images.Tests.Manifests;

/// <summary>The repository's shell scripts are shellcheck-clean (.ci/run installs shellcheck; without it this fails).</summary>
public class ShellScriptTests
{
    [Fact]
    public async Task ScriptsAreShellcheckClean()
    {
        var shellcheck = RepositoryFiles.FindOnPath("shellcheck");
        var scripts = new[] { "run.sh", ".ci/run", "manifests/regenerate.sh", "Images.AppHost/scripts/local-postgres.sh" }
            .Concat(Directory.GetFiles(RepositoryFiles.PathOf("minikube"), "*.sh").Select(f => Path.GetRelativePath(RepositoryFiles.Root, f)))
            .Concat(Directory.GetFiles(RepositoryFiles.PathOf("bench"), "*.sh").Select(f => Path.GetRelativePath(RepositoryFiles.Root, f)))
            .Concat(Directory.GetFiles(RepositoryFiles.PathOf("Images.Native", "fuzz"), "*.sh").Select(f => Path.GetRelativePath(RepositoryFiles.Root, f)))
            .ToList();
        Assert.All(scripts, script => Assert.True(File.Exists(RepositoryFiles.PathOf(script)), script));
        Assert.True(shellcheck is not null, "shellcheck is not installed (apt-get install shellcheck; .ci/run does)");

        var (exitCode, output, error) = await RepositoryFiles.RunAsync(shellcheck, scripts.Select(s => RepositoryFiles.PathOf(s)), TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0, output + error);
    }
}
