using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Images.Tests.Support;
using Xunit.Abstractions;
using static Images.Tests.Support.ApiClientExtensions;

namespace Images.Tests.Api;

/// <summary>
/// NFR-7, NFR-8 outside in: every hostile file goes through a real Api process (in-process
/// processing, default settings) on each decoding path, and ends as a 4xx or as a `failed` image
/// with a reason, or, where it is a legitimate image in disguise, completed, within the time budget
/// and with the process's peak RSS under 1 GiB, measured around each file. The table it prints is
/// what bench/hostile.sh reports.
/// </summary>
[Collection(KafkaCollection.Name)]
public class HostileFileTests(DatabaseFixture database, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private const long MaxPeakBytes = 1024L * 1024 * 1024;

    /// <summary>What a file must end as on one path: an upload status, or an image status and a fragment of its error.</summary>
    public sealed record Outcome(string Status, string? Error = null)
    {
        public override string ToString() => Error is null ? Status : $"{Status} ({Error})";
    }

    public sealed record Hostile(string Name, Func<Task<byte[]>> Bytes, string ContentType, Outcome Native, Outcome Managed, long ExtraPartBytes = 0);

    private static Outcome Failed(string error) => new("failed", error);

    private static readonly Outcome Completed = new("completed");

    public static IReadOnlyList<Hostile> Catalogue { get; } =
    [
        Same("png 99,000,000 x 1 RGBA (385 KB)", () => HostileImages.Png(99_000_000, 1), "image/png", Failed("IMG_MAX_IMAGE_SIDE")),
        Same("png 1 x 99,000,000", () => HostileImages.Png(1, 99_000_000), "image/png", Failed("IMG_MAX_IMAGE_SIDE")),
        Same("png header claiming 50,000 x 50,000", TestImages.PngClaimingGigapixel, "image/png", Failed("IMG_MAX_IMAGE_PIXELS")),
        Same("png 10,000 x 9,999 RGBA of zeros (400 MB of pixels)", () => HostileImages.Png(10_000, 9_999), "image/png", Completed),
        Same("png with a 256 MB zTXt bomb", () => HostileImages.Png(200, 100, beforeImageData: [("zTXt", [.. "Comment"u8, 0, 0, .. HostileImages.Zeros(256L << 20)])]), "image/png", Completed),
        Same("png truncated", TestImages.TruncatedPng, "image/png", new Outcome("failed")),
        Same("apng of 1,000 frames", () => HostileImages.Apng(TestImages.Png(300, 200), 1000), "image/png", Completed),
        new("jpeg 8000 x 8000 of 50,000 truncated DC scans (600 KB)", () => Task.FromResult(HostileImages.ProgressiveJpegOfTruncatedDcScans(8000, 8000, 50_000)), "image/jpeg", Failed("more than 500 scans"), Failed("IMG_MAX_DECODE_MEMORY_MB")),
        // libjpeg meets the first truncated scan before it counts 500; the managed path counts first.
        new("jpeg 1024 x 1024 of 50,000 truncated DC scans", () => Task.FromResult(HostileImages.ProgressiveJpegOfTruncatedDcScans(1024, 1024, 50_000)), "image/jpeg", Failed("premature end"), Failed("more than the 500")),
        new("jpeg arithmetic progressive 4:4:4 claiming 10,000 x 10,000", ArithmeticJpegAsync, "image/jpeg", Failed("IMG_MAX_DECODE_MEMORY_MB"), Failed("arithmetic coding is not supported")),
        Same("jpeg with extraneous bytes before a marker", () => HostileImages.WithExtraneousBytes(TestImages.Jpeg(600, 400), HostileImages.SecondSegmentOffset(TestImages.Jpeg(600, 400)), [1, 2, 3, 4]), "image/jpeg", Completed),
        Same("jpeg cut in half", () => TestImages.Jpeg(800, 600)[..(TestImages.Jpeg(800, 600).Length / 2)], "image/jpeg", new Outcome("failed")),
        new("jpeg without its EOI marker", () => Task.FromResult(TestImages.Jpeg(800, 600)[..^2]), "image/jpeg", Completed, Failed("end-of-image")),
        Same("tiff of 20 pages of 5000 x 5000 (1.4 MB)", () => HostileImages.Tiff(5000, 5000, pages: 20), "image/tiff", Completed),
        // One Deflate strip of 300 MB: the native path reads it a row at a time, ImageSharp whole.
        new("tiff 10,000 x 10,000 RGB of zeros", () => Task.FromResult(HostileImages.Tiff(10_000, 10_000)), "image/tiff", Completed, Failed("IMG_MAX_DECODE_MEMORY_MB")),
        Same("tiff header claiming 65,535 x 65,535", () => TestImages.TiffWithDimensions(65_535, 65_535), "image/tiff", Failed("IMG_MAX_IMAGE_PIXELS")),
        new("tiff of 64 x 64 in tiles declared 65,536 x 65,536", () => Task.FromResult(HostileImages.TiledTiff(64, 64, 65_536)), "image/tiff", Failed("IMG_MAX_DECODE_MEMORY_MB"), Failed("Tiled images are not supported")),
        Same("tiff whose strip lies past the end of the file", () => HostileImages.Tiff(2000, 2000, stripOffset: 0x7000_0000), "image/tiff", new Outcome("failed")),
        Same("tiff of 1 x 1 pixel and 65,535 pages", () => HostileImages.Tiff(1, 1, pages: 65_535), "image/tiff", Completed),
        Same("tiff whose IFDs loop", () => TestImages.TiffWithPages(TestImages.Tiff(300, 200), 0, 0, 0, loop: true), "image/tiff", Completed),
        Same("tiff declaring 100,000,000 strips", () => HostileImages.Tiff(2000, 2000, stripCount: 100_000_000), "image/tiff", new Outcome("failed")),
        Same("webp lossless 16383 x 16383 (28 bytes)", () => HostileImages.LosslessWebp(16383, 16383), "image/webp", Failed("IMG_MAX_IMAGE_PIXELS")),
        Same("webp lossless of 65,536 Huffman groups (288 KB)", () => HostileImages.LosslessWebpWithManyCodeGroups(1024, 1024), "image/webp", Failed("IMG_MAX_DECODE_MEMORY_MB")),
        Same("webp animation of 300 frames", () => HostileImages.AnimatedWebp(640, 480, [.. Enumerable.Range(0, 300).Select(i => 0xFF000000u | (uint)(i * 7919))]), "image/webp", Completed),
        Same("webp cut in half", () => TestImages.Webp(800, 600)[..(TestImages.Webp(800, 600).Length / 2)], "image/webp", Failed("truncated")),
        Same("text sent as image/jpeg", () => Encoding.UTF8.GetBytes(new string('a', 5000)), "image/jpeg", new Outcome("415")),
        Same("png bytes declared image/jpeg", () => TestImages.Png(64, 64), "image/jpeg", new Outcome("415")),
        Same("bmp", () => [.. "BM"u8, 0x3A, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0], "image/bmp", new Outcome("415")),
        // FR-8.6's formats (ADR 15).
        Same("gif logical screen 65,535 x 65,535", () => HostileImages.GifClaiming(65_535, 65_535, 1, 1), "image/gif", Failed("IMG_MAX_IMAGE_PIXELS")),
        // ImageSharp 2.1 clips the frame to the screen and fills what the data lacks: a legitimate (if empty) image to it.
        new("gif frame 65,535 x 65,535 on a 64 x 64 screen (35 bytes)", () => Task.FromResult(HostileImages.GifClaiming(64, 64, 65_535, 65_535)), "image/gif", Failed("truncated GIF"), Completed),
        Same("gif of 150,000 frames of 1 x 1 (2.2 MB)", () => HostileImages.GifOfFrames(150_000), "image/gif", Completed),
        // 64 MP of LZW: streamed row by row natively; ImageSharp would hold it whole.
        new("gif LZW bomb: 8000 x 8000 of one colour (44 KB)", () => HostileImages.GifBombAsync(8000, 8000), "image/gif", Completed, Failed("IMG_MAX_DECODE_MEMORY_MB")),
        new("gif cut in half", () => Task.FromResult(HostileImages.HalfOf(Support.InputFormatFiles.HalfTransparent(1200, 900))), "image/gif", Failed("truncated GIF"), Completed),
        new("heic cut in half", async () => HostileImages.HalfOf(await HostileImages.EncodedAsync(TestImages.Png(800, 600), "heic", "heif-enc")), "image/heic", Failed("HEIF"), Failed("libheif")),
        new("heic claiming 100,000 x 100,000 (ispe)", async () => HostileImages.WithIspe(await HostileImages.EncodedAsync(TestImages.Png(800, 600), "heic", "heif-enc"), 100_000, 100_000), "image/heic", Failed("exceeds the maximum image size"), Failed("libheif")),
        new("avif cut in half", async () => HostileImages.HalfOf(await HostileImages.EncodedAsync(TestImages.Png(800, 600), "avif", "avifenc", "-s", "10")), "image/avif", Failed("AVIF"), Failed("libavif")),
        new("avif claiming 100,000 x 100,000 (ispe)", async () => HostileImages.WithIspe(await HostileImages.EncodedAsync(TestImages.Png(800, 600), "avif", "avifenc", "-s", "10"), 100_000, 100_000), "image/avif", Failed("AVIF"), Failed("libavif")),
        new("avif 2 x 2 grid claiming 60,000 x 60,000 (ispe)", async () => HostileImages.WithIspe(await HostileImages.EncodedAsync(TestImages.Png(800, 600), "avif", "avifenc", "-s", "10", "--grid", "2x2"), 60_000, 60_000), "image/avif", Failed("AVIF"), Failed("libavif")),
        Same("empty file", () => [], "image/png", new Outcome("422")),
        new("1 KB png and a 300 MB extra part", () => Task.FromResult(TestImages.Png(16, 16)), "image/png", new Outcome("413"), new Outcome("413"), ExtraPartBytes: 300L << 20),
    ];

    [Theory]
    [InlineData("native")]
    [InlineData("managed")]
    public async Task EveryHostileFileEndsWithinItsMemoryAndTimeBudget_NFR7_NFR8(string path)
    {
        await using var api = await StartApiAsync(path, new Dictionary<string, string>());
        using var client = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        var report = new StringBuilder($"{"file",-62} {"path",-8} {"outcome",-72} {"seconds",8} {"peak MiB",9}\n");
        var problems = new List<string>();
        foreach (var hostile in Catalogue)
        {
            var expected = path == "native" ? hostile.Native : hostile.Managed;
            var (outcome, seconds, peak) = await RunAsync(api, client, hostile, TimeSpan.FromSeconds(35));
            report.AppendLine(CultureInfo.InvariantCulture, $"{hostile.Name,-62} {path,-8} {outcome,-72} {seconds,8:F2} {peak / (1024.0 * 1024),9:F0}");
            if (outcome.Status != expected.Status || (expected.Error is { } error && outcome.Error?.Contains(error, StringComparison.Ordinal) != true))
            {
                problems.Add($"{hostile.Name}: expected {expected}, got {outcome}");
            }

            if (peak >= MaxPeakBytes)
            {
                problems.Add($"{hostile.Name}: peak RSS {peak / (1024 * 1024)} MiB");
            }

            if (seconds > 35)
            {
                problems.Add($"{hostile.Name}: {seconds:F1} s");
            }
        }

        Report(report.ToString());
        Assert.False(api.HasExited, "the Api died:\n" + api.Output);
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + report);
    }

    [Theory]
    [InlineData("native")]
    [InlineData("managed")]
    public async Task ADecodeOverTheTimeBudgetIsStoppedInsideTheDecoder_NFR8(string path)
    {
        // A legitimate but slow image: 100 MP of 16-bit RGBA (800 MB of pixel data to inflate), every
        // row with the Paeth filter, the costliest to undo.
        await using var api = await StartApiAsync(path, new Dictionary<string, string> { ["IMG_PROCESSING_IMAGE_TIMEOUT_SECONDS"] = "1" });
        using var client = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        var slow = new Hostile("png 9999 x 9999 RGBA, 16 bits, Paeth rows", () => Task.FromResult(HostileImages.Png(9_999, 9_999, bitDepth: 16, filter: 4)), "image/png", Completed, Completed);

        var (outcome, seconds, peak) = await RunAsync(api, client, slow, TimeSpan.FromSeconds(20));

        Report($"{slow.Name} ({path}, 1 s budget): {outcome} in {seconds:F2} s, peak {peak / (1024 * 1024)} MiB");
        Assert.Equal("failed", outcome.Status);
        Assert.Equal("Processing exceeded the time limit of 1 s (IMG_PROCESSING_IMAGE_TIMEOUT_SECONDS).", outcome.Error);
        Assert.True(seconds < 10, $"stopped after {seconds:F1} s");
        Assert.True(peak < MaxPeakBytes, $"peak {peak / (1024 * 1024)} MiB");
    }

    private async Task<ServiceProcess> StartApiAsync(string path, Dictionary<string, string> settings)
    {
        var storage = Path.Combine(Path.GetTempPath(), "images-tests-hostile-" + Guid.NewGuid().ToString("N")[..12]);
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__imagesdb"] = database.ConnectionString,
            ["IMG_STORAGE_BASE_DIR"] = storage,
            ["IMG_NATIVE_PROCESSING"] = path == "native" ? "true" : "false",
            ["IMG_RATE_LIMIT_UPLOAD_MAX"] = "100000",
            ["IMG_RATE_LIMIT_READ_MAX"] = "100000",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        var api = await ServiceProcess.StartApiAsync(environment, TimeSpan.FromSeconds(60));
        if (path == "native")
        {
            using var client = new HttpClient { BaseAddress = api.BaseAddress };
            Assert.Contains("native (libimages_native)", await client.GetStringAsync("/health"), StringComparison.Ordinal);
        }

        return api;
    }

    private static async Task<(Outcome Outcome, double Seconds, long PeakBytes)> RunAsync(ServiceProcess api, HttpClient client, Hostile hostile, TimeSpan timeout)
    {
        var bytes = await hostile.Bytes();
        api.ResetPeakMemory();
        var clock = Stopwatch.StartNew();
        using var form = UploadForm(bytes, hostile.ContentType, "hostile");
        if (hostile.ExtraPartBytes > 0)
        {
            var padding = new StreamContent(new GeneratedStream(hostile.ExtraPartBytes, 0));
            padding.Headers.ContentType = MediaTypeHeaderValue.Parse("application/octet-stream");
            form.Add(padding, "padding", "padding.bin");
        }

        Outcome outcome;
        using (var response = await client.PostAsync("/api/v1/images/", form))
        {
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.Created)
            {
                outcome = new Outcome(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), Detail(body));
            }
            else
            {
                var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
                var image = await client.WaitForStatusAsync(id, timeout, TimeSpan.FromMilliseconds(50), "completed", "failed");
                outcome = new Outcome(image.GetProperty("status").GetString()!, image.GetProperty("error").GetString());
            }
        }

        return (outcome, clock.Elapsed.TotalSeconds, api.PeakMemoryBytes());
    }

    private void Report(string text)
    {
        output.WriteLine(text);
        if (Environment.GetEnvironmentVariable("IMG_HOSTILE_REPORT") is { Length: > 0 } file)
        {
            File.AppendAllText(file, text + "\n");
        }
    }

    private static string? Detail(string body)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return body.Length > 80 ? body[..80] : body;
        }
    }

    private static Hostile Same(string name, Func<byte[]> bytes, string contentType, Outcome outcome) =>
        new(name, () => Task.FromResult(bytes()), contentType, outcome, outcome);

    /// <summary>A small arithmetic-coded progressive 4:4:4 JPEG whose frame header then claims 10,000 x 10,000.</summary>
    private static async Task<byte[]> ArithmeticJpegAsync()
    {
        var jpeg = await TestImages.CjpegAsync(64, 64, 7, "-arithmetic", "-progressive", "-sample", "1x1");
        var sof = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC2]) >= 0
            ? jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC2])
            : jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xCA]);
        Assert.True(sof > 0, "no progressive frame header");
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 10_000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 10_000);
        return jpeg;
    }
}
