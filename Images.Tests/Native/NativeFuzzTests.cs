using System.Text.RegularExpressions;
using Images.Tests.Support;
using Xunit.Abstractions;

namespace Images.Tests.Native;

/// <summary>
/// NFR-7 on the native path: the libFuzzer harness (Images.Native/fuzz/fuzz_thumbnail.c, ASan and
/// UBSan) runs for a bounded minute from the committed seed corpus (Images.Native/fuzz/seeds),
/// every output and flag combination, its invariants checked on every input. Needs clang and its
/// sanitizer runtimes (apt-get install clang libclang-rt-14-dev; .ci/run does): without them this
/// fails, it never passes silently. Images.Native/fuzz/run.sh runs it longer by hand.
/// </summary>
public partial class NativeFuzzTests(ITestOutputHelper output)
{
    private const int Seconds = 60;

    [Fact]
    public async Task TheNativeLibrarySurvivesAMinuteOfFuzzingFromTheCommittedSeeds_NFR7()
    {
        var clang = RepositoryFiles.FindOnPath("clang");
        var cmake = RepositoryFiles.FindOnPath("cmake");
        Assert.True(clang is not null, "clang is not installed (apt-get install clang libclang-rt-14-dev; .ci/run does)");
        Assert.True(cmake is not null, "cmake is not installed (apt-get install cmake; .ci/run does)");
        var seeds = Directory.GetFiles(RepositoryFiles.PathOf("Images.Native", "fuzz", "seeds"));
        Assert.True(seeds.Length >= 15, $"{seeds.Length} seeds in Images.Native/fuzz/seeds (Images.Native/fuzz/make_seeds.py writes them)");

        var work = Directory.CreateTempSubdirectory("images-native-fuzz-");
        var keep = false;
        try
        {
            var build = Path.Combine(work.FullName, "build");
            var corpus = Directory.CreateDirectory(Path.Combine(work.FullName, "corpus")).FullName;
            var artifacts = Directory.CreateDirectory(Path.Combine(work.FullName, "artifacts")).FullName;
            foreach (var seed in seeds)
            {
                File.Copy(seed, Path.Combine(corpus, Path.GetFileName(seed)));
            }

            var configure = await RepositoryFiles.RunAsync(cmake,
                ["-S", RepositoryFiles.PathOf("Images.Native"), "-B", build, "-DIMAGES_NATIVE_FUZZ=ON", "-DCMAKE_C_COMPILER=" + clang, "-DCMAKE_BUILD_TYPE=Debug"],
                TimeSpan.FromSeconds(60));
            Assert.True(configure.ExitCode == 0, "cmake could not configure the fuzz build:\n" + configure.Output + configure.Error);
            var compile = await RepositoryFiles.RunAsync(cmake, ["--build", build, "--target", "images_native_fuzz", "--parallel", "2"], TimeSpan.FromSeconds(120));
            Assert.True(compile.ExitCode == 0,
                "the fuzz harness did not build (clang's sanitizer runtimes: apt-get install libclang-rt-14-dev):\n" + compile.Output + compile.Error);

            // No RSS limit, a malloc limit instead: libFuzzer reads its peak RSS from getrusage,
            // and Linux carries the peak of the process that started it across the exec (the test
            // host, about 2 GB late in the suite), so "-rss_limit_mb=2048" failed at start-up with
            // an "out-of-memory" no input caused. Any single allocation over 2 GiB still fails.
            var fuzz = await RepositoryFiles.RunAsync(Path.Combine(build, "images_native_fuzz"),
                [$"-max_total_time={Seconds}", "-rss_limit_mb=0", "-malloc_limit_mb=2048", "-timeout=10", "-print_final_stats=1", "-artifact_prefix=" + artifacts + "/", corpus],
                TimeSpan.FromSeconds(Seconds + 60));
            var log = fuzz.Error;
            foreach (var line in log.Split('\n').Where(l => l.Contains("INITED", StringComparison.Ordinal) || l.Contains("DONE", StringComparison.Ordinal)
                         || l.StartsWith("Done ", StringComparison.Ordinal) || l.StartsWith("stat::", StringComparison.Ordinal)))
            {
                output.WriteLine(line);
            }

            keep = fuzz.ExitCode != 0;
            Assert.True(fuzz.ExitCode == 0,
                $"the fuzzer stopped with exit code {fuzz.ExitCode}; the input is in {artifacts} (kept):\n" + string.Join('\n', log.Split('\n').TakeLast(60)));
            var runs = RunsLine().Match(log);
            Assert.True(runs.Success, "no \"Done N runs\" line:\n" + log);
            Assert.True(long.Parse(runs.Groups[1].Value) >= 500, runs.Value);
        }
        finally
        {
            if (!keep)
            {
                work.Delete(recursive: true);
            }
        }
    }

    [GeneratedRegex(@"^Done (\d+) runs in \d+ second", RegexOptions.Multiline)]
    private static partial Regex RunsLine();
}
