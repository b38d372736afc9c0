using System.IO.Compression;
using System.Reflection;
using System.Text.RegularExpressions;
using Images.Tests.Support;
using Xunit.Abstractions;

namespace Images.Tests.Native;

/// <summary>
/// NFR-4 where it runs: the containers' base image (Ubuntu's noble-chiseled) has glibc and nothing
/// of libjpeg, libpng, libwebp or libtiff, so the runtimes/&lt;rid&gt;/native/ folder that the build
/// output, the Api's and the Worker's publish output and the NuGet package carry must need nothing
/// outside glibc that it does not hold itself (ADR 8). Checked twice per folder: every ELF file's
/// DT_NEEDED against glibc's libraries and the folder's own files; then a copy of the folder,
/// loaded by a small C program (RTLD_NOW, no LD_LIBRARY_PATH) that makes a thumbnail and the
/// JPEG, WebP and PNG renditions of each format, must have mapped no shared object but glibc's and
/// its own. lcms2 and libavif are the exception by design (ADR 12): opened with dlopen() when ICC
/// conversion or AVIF output is wanted, reported unavailable where missing. Needs cc and readelf
/// (gcc and binutils, which the native build needs anyway).
/// </summary>
public partial class NativePackagingTests(ITestOutputHelper output)
{
    /// <summary>What any Linux process has: glibc's libraries, the loader, and GCC's unwinder.</summary>
    private static readonly HashSet<string> Glibc =
    [
        "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
        "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "libgcc_s.so.1",
    ];

    /// <summary>One small file per format the library decodes (the fuzz seeds).</summary>
    private static readonly string[] Samples = ["baseline-exif6.prog.jpg", "palette-trns.png", "alpha-lossy.webp", "anim-lossy.webp"];

    [Fact]
    public async Task TheBuildOutputsNativeFolderNeedsNothingButGlibc_NFR4()
    {
        var folders = Directory.GetDirectories(Path.Combine(AppContext.BaseDirectory, "runtimes"), "native", SearchOption.AllDirectories)
            .Where(f => File.Exists(Path.Combine(f, "libimages_native.so")))
            .ToList();
        Assert.True(folders.Count == 1, $"expected one runtimes/<rid>/native/libimages_native.so in {AppContext.BaseDirectory}, found {folders.Count}");

        await CheckSelfSufficientAsync(folders[0]);
    }

    [Fact]
    public async Task ThePackagesNativeFolderNeedsNothingButGlibc_NFR4()
    {
        // The project as built for this test run (no rebuild): its package is what a consumer of
        // Images.Native would get.
        var configuration = typeof(NativePackagingTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var work = Directory.CreateTempSubdirectory("images-native-pack-");
        try
        {
            var dotnet = RepositoryFiles.FindOnPath("dotnet") ?? Path.Combine(Environment.GetEnvironmentVariable("DOTNET_ROOT") ?? "/usr/share/dotnet", "dotnet");
            var pack = await RepositoryFiles.RunAsync(dotnet,
                ["pack", RepositoryFiles.PathOf("Images.Native", "Images.Native.csproj"), "--no-build", "-c", configuration, "-o", work.FullName, "-nologo", "-v", "quiet"],
                TimeSpan.FromMinutes(3));
            Assert.True(pack.ExitCode == 0, "dotnet pack failed:\n" + pack.Output + pack.Error);
            var package = Assert.Single(Directory.GetFiles(work.FullName, "*.nupkg"));

            var unpacked = Directory.CreateDirectory(Path.Combine(work.FullName, "unpacked")).FullName;
            ZipFile.ExtractToDirectory(package, unpacked);
            var library = Assert.Single(Directory.GetFiles(Path.Combine(unpacked, "runtimes"), "libimages_native.so", SearchOption.AllDirectories));
            Assert.Matches(NativeFolder(), Path.GetRelativePath(unpacked, library));

            await CheckSelfSufficientAsync(Path.GetDirectoryName(library)!);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>
    /// libimages_native.so and what it needs from beside it (the folder of a build output also
    /// holds other packages' libraries, librdkafka's among them, which are not ours to check).
    /// </summary>
    private async Task CheckSelfSufficientAsync(string folder)
    {
        var files = new List<string>();
        var pending = new Queue<string>([Path.Combine(folder, "libimages_native.so")]);
        while (pending.TryDequeue(out var file))
        {
            files.Add(file);
            var dynamic = await RepositoryFiles.RunAsync("readelf", ["-dW", file], TimeSpan.FromSeconds(30));
            Assert.True(dynamic.ExitCode == 0, $"readelf -d {file}: {dynamic.Error}");
            var needed = Needed().Matches(dynamic.Output).Select(m => m.Groups[1].Value).ToList();
            output.WriteLine($"{Path.GetFileName(file)} needs {string.Join(", ", needed)}");
            Assert.NotEmpty(needed);
            foreach (var library in needed.Where(l => !Glibc.Contains(l)))
            {
                var beside = Path.Combine(folder, library);
                Assert.True(File.Exists(beside), $"{Path.GetFileName(file)} needs {library}, which is neither glibc's nor in {folder}");
                if (!files.Contains(beside) && !pending.Contains(beside))
                {
                    pending.Enqueue(beside);
                }
            }

            foreach (Match path in SearchPath().Matches(dynamic.Output))
            {
                Assert.True(path.Groups[1].Value.Split(':').All(p => p.StartsWith("$ORIGIN", StringComparison.Ordinal)),
                    $"{Path.GetFileName(file)} searches {path.Groups[1].Value}: only $ORIGIN belongs in a packed folder");
            }
        }

        // A copy elsewhere, so nothing can come from beside the original, loaded without any
        // library path of the environment.
        var copy = Directory.CreateTempSubdirectory("images-native-copy-");
        try
        {
            foreach (var file in files)
            {
                File.Copy(file, Path.Combine(copy.FullName, Path.GetFileName(file)));
            }

            var probe = Path.Combine(copy.FullName, "probe");
            var compile = await RepositoryFiles.RunAsync("cc",
                ["-O1", "-o", probe, RepositoryFiles.PathOf("Images.Tests", "Native", "native_load_probe.c"), "-I", RepositoryFiles.PathOf("Images.Native", "src"), "-ldl"],
                TimeSpan.FromSeconds(60));
            Assert.True(compile.ExitCode == 0, "the probe did not compile:\n" + compile.Error);

            var psi = new System.Diagnostics.ProcessStartInfo(probe)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            psi.ArgumentList.Add(Path.Combine(copy.FullName, "libimages_native.so"));
            foreach (var sample in Samples)
            {
                psi.ArgumentList.Add(RepositoryFiles.PathOf("Images.Native", "fuzz", "seeds", sample));
            }

            psi.Environment.Remove("LD_LIBRARY_PATH");
            psi.Environment.Remove("LD_PRELOAD");
            var run = await RepositoryFiles.RunAsync(psi, TimeSpan.FromSeconds(60));
            output.WriteLine(run.Output);
            Assert.True(run.ExitCode == 0, $"the probe failed ({run.ExitCode}):\n{run.Output}{run.Error}");

            var mapped = run.Output.Split('\n')
                .Where(l => l.StartsWith("mapped: ", StringComparison.Ordinal))
                .Select(l => l["mapped: ".Length..].Trim())
                .Where(p => Path.GetFileName(p).Contains(".so", StringComparison.Ordinal))
                .Distinct()
                .ToList();
            Assert.Contains(Path.Combine(copy.FullName, "libimages_native.so"), mapped);
            var foreign = mapped.Where(p => !p.StartsWith(copy.FullName + "/", StringComparison.Ordinal) && !Glibc.Contains(Path.GetFileName(p))).ToList();
            Assert.True(foreign.Count == 0, "shared objects from outside the folder were loaded: " + string.Join(", ", foreign));

            // ADR 12: lcms2 and libavif are opened at run time, only when wanted; where the machine
            // has them (the -dev packages pull them in), they load and say so; else the report says why.
            var features = Assert.Single(run.Output.Split('\n'), l => l.StartsWith("features: ", StringComparison.Ordinal));
            Assert.Contains("AVIF: ", features, StringComparison.Ordinal);
            Assert.Contains("ICC: ", features, StringComparison.Ordinal);
            var bits = int.Parse(features.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(File.Exists("/usr/lib/x86_64-linux-gnu/libavif.so.15") || File.Exists("/usr/lib/aarch64-linux-gnu/libavif.so.15"), (bits & 1) != 0);
            Assert.Equal(File.Exists("/usr/lib/x86_64-linux-gnu/liblcms2.so.2") || File.Exists("/usr/lib/aarch64-linux-gnu/liblcms2.so.2"), (bits & 2) != 0);
            // ADR 15: libheif (HEIC input) and libavif's decoder (AVIF input) the same way.
            Assert.Contains("HEIC input: ", features, StringComparison.Ordinal);
            Assert.Contains("AVIF input: ", features, StringComparison.Ordinal);
            Assert.Equal(File.Exists("/usr/lib/x86_64-linux-gnu/libheif.so.1") || File.Exists("/usr/lib/aarch64-linux-gnu/libheif.so.1"), (bits & 4) != 0);
            Assert.Equal((bits & 1) != 0, (bits & 8) != 0); // Debian's libavif15 has dav1d and aom's decoder
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")]
    private static partial Regex Needed();

    [GeneratedRegex(@"\((?:RPATH|RUNPATH)\)\s+Library (?:rpath|runpath): \[([^\]]*)\]")]
    private static partial Regex SearchPath();

    [GeneratedRegex(@"^runtimes/linux-[a-z0-9]+/native/libimages_native\.so$")]
    private static partial Regex NativeFolder();
}
