using System.Globalization;
using System.Text.RegularExpressions;

namespace Images.Tests.Support;

/// <summary>
/// Real camera JPEGs with EXIF, and the values another parser found in them: Debian's
/// golang-github-rwcarlsen-goexif-dev ships goexif's samples (about 50 cameras and phones, 2004-2014,
/// three deliberately corrupt blocks) and its regression file regress_expected_test.go, the
/// independent truth the FR-9.3 tests compare with. Fetched once with apt-get download into
/// .data/exif-samples (git-ignored), or read from IMG_TEST_EXIF_DIR.
/// </summary>
public sealed partial class CameraExifSamples : IAsyncLifetime
{
    private const string Package = "golang-github-rwcarlsen-goexif-dev";

    public string Directory { get; } = Environment.GetEnvironmentVariable("IMG_TEST_EXIF_DIR") is { Length: > 0 } configured
        ? configured
        : RepositoryFiles.PathOf(".data", "exif-samples");

    /// <summary>goexif's exif folder: sample1.jpg, samples/, corrupt/, regress_expected_test.go.</summary>
    public string ExifFolder => Path.Combine(Directory, "unpacked", "usr", "share", "gocode", "src", "github.com", "rwcarlsen", "goexif", "exif");

    /// <summary>Expected fields by sample file name (goexif's field names, values as goexif prints them).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Expected { get; private set; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    public string Sample(string name) => Path.Combine(ExifFolder, "samples", name);

    public string Corrupt(string name) => Path.Combine(ExifFolder, "corrupt", name);

    public async Task InitializeAsync()
    {
        await DebianPackages.UnpackedAsync(Directory, [Package], "The EXIF tests (or IMG_TEST_EXIF_DIR pointing at a folder holding the package unpacked)");

        var regress = await File.ReadAllTextAsync(Path.Combine(ExifFolder, "regress_expected_test.go"));
        var expected = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        foreach (Match block in BlockPattern().Matches(regress))
        {
            var fields = new Dictionary<string, string>();
            foreach (Match field in FieldPattern().Matches(block.Groups[2].Value))
            {
                fields[field.Groups[1].Value] = field.Groups[2].Value;
            }

            expected[block.Groups[1].Value] = fields;
        }

        Expected = expected;
    }

    /// <summary>A goexif rational "n/d" (quoted) as a number; null when absent or d = 0.</summary>
    public static double? Rational(IReadOnlyDictionary<string, string> fields, string name)
    {
        if (!fields.TryGetValue(name, out var raw))
        {
            return null;
        }

        var parts = raw.Trim('"').Split('/');
        if (parts.Length != 2)
        {
            return null;
        }

        var n = double.Parse(parts[0], CultureInfo.InvariantCulture);
        var d = double.Parse(parts[1], CultureInfo.InvariantCulture);
        return d == 0 ? null : n / d;
    }

    /// <summary>A goexif string ("...", quotes removed, trimmed) or null.</summary>
    public static string? Text(IReadOnlyDictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out var raw) && raw.Trim('"').Trim() is { Length: > 0 } text ? text : null;

    public Task DisposeAsync() => Task.CompletedTask;

    [GeneratedRegex("\"([^\"]+\\.jpg)\": map\\[FieldName\\]string\\{(.*?)\\n\\t\\},", RegexOptions.Singleline)]
    private static partial Regex BlockPattern();

    [GeneratedRegex("\\t\\t(\\w+):\\s+`(.*?)`,")]
    private static partial Regex FieldPattern();
}
