using System.Diagnostics;
using System.Runtime.InteropServices;
using Images.Native;
using Images.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace Images.Tests.Native;

/// <summary>
/// NFR-8 on the native path: every hostile file ends with a clear status, decided from its header
/// before any large allocation where it is a bomb, within a bounded time (and a bounded growth of
/// the process's peak RSS), and a decode in progress stops when its token is cancelled. Alone in
/// their collection so that the RSS measured around a call is the call's.
/// </summary>
[Collection(NativeBudgetCollection.Name)]
public class NativeBudgetTests(ITestOutputHelper output)
{
    private const long Mib = 1024 * 1024;
    private const long DefaultBudget = 512 * Mib;
    private const long Pixels = 100_000_000;

    private static NativeThumbnailRequest Budgeted(int maxSide = 256, long maxPixels = Pixels, long maxMemory = DefaultBudget, int maxDimension = 0, int maxScans = 0) =>
        new(maxSide, 80, maxPixels, maxMemory, maxDimension, MaxScans: maxScans);

    [Fact]
    public void TheStructsMirrorTheCLayout()
    {
        Assert.Equal(40, Marshal.SizeOf<NativeMethods.Info>());
        Assert.Equal(24, (int)Marshal.OffsetOf<NativeMethods.Info>(nameof(NativeMethods.Info.Memory)));
        Assert.Equal(32, (int)Marshal.OffsetOf<NativeMethods.Info>(nameof(NativeMethods.Info.Frames)));
        Assert.Equal(48, Marshal.SizeOf<NativeMethods.Request>());
        Assert.Equal(24, (int)Marshal.OffsetOf<NativeMethods.Request>(nameof(NativeMethods.Request.MaxMemory)));
        Assert.Equal(32, (int)Marshal.OffsetOf<NativeMethods.Request>(nameof(NativeMethods.Request.MaxDimension)));
        Assert.Equal(36, (int)Marshal.OffsetOf<NativeMethods.Request>(nameof(NativeMethods.Request.MaxScans)));
        Assert.Equal(40, (int)Marshal.OffsetOf<NativeMethods.Request>(nameof(NativeMethods.Request.Cancel)));
    }

    public static TheoryData<string> Legitimate => ["jpeg", "progressive-jpeg", "png", "png-alpha", "webp", "lossless-webp"];

    [Theory]
    [MemberData(nameof(Legitimate))]
    public async Task PlanGivesLegitimateImagesARealisticFigureUnderTheDefaultBudget_NFR8(string kind)
    {
        var bytes = kind switch
        {
            "jpeg" => TestImages.Jpeg(3000, 2000, seed: 80),
            "progressive-jpeg" => await TestImages.ProgressiveAsync(await TestImages.CjpegAsync(2400, 1600, 81, "-quality", "85")),
            "png" => TestImages.Png(1600, 1200, seed: 82),
            "png-alpha" => TestImages.Png(1600, 1200, alpha: true, seed: 83),
            "webp" => TestImages.Webp(2048, 1536, seed: 84),
            _ => HostileImages.LosslessWebp(1024, 768, 0xFF336699),
        };

        var plan = NativeThumbnailer.Plan(bytes, Budgeted());
        var thumbnail = NativeThumbnailer.CreateThumbnail(bytes, Budgeted());
        output.WriteLine($"{kind} {plan.Width}x{plan.Height}: plan {plan.MemoryBytes / 1024.0 / 1024:F2} MiB");

        Assert.Equal(1, plan.Frames);
        Assert.Equal(plan, thumbnail.Source);
        // At least the 256 px thumbnail and the scaled rows it comes from; far below the budget (a
        // file of a few MP, scaled while it streams, needs a few MiB: measured peaks in bench/README.md).
        Assert.InRange(plan.MemoryBytes, 256 * 171 * 3, 64 * Mib);
    }

    [Fact]
    public void APngOf99MillionPixelsInOneRowIsOverBudgetOnItsHeader_NFR8()
    {
        // The issue's file: 385 KB, 99,000,000 x 1 RGBA, under the 100 MP limit, 2.4 GiB peak before.
        var png = HostileImages.Png(99_000_000, 1);
        output.WriteLine($"{png.Length / 1024} KB");

        // Its figure, with no budget and a side limit above libpng's default (which refuses it too).
        var unlimited = NativeThumbnailer.Plan(png, Budgeted(maxMemory: 0, maxDimension: 100_000_000));
        Assert.True(unlimited.MemoryBytes > 1536 * Mib, $"{unlimited.MemoryBytes / Mib} MiB");

        var (ex, elapsed, rss) = Measure(() => NativeThumbnailer.CreateThumbnail(png, Budgeted()));
        Assert.Equal(NativeStatus.OverBudget, ex.Status);
        Assert.Matches(@"^decoding needs about \d+ MiB of working memory \(PNG 99000000x1, 4 channels\), over the limit of 512 MiB$", ex.Message);
        Assert.Contains($"about {(unlimited.MemoryBytes + Mib - 1) / Mib} MiB", ex.Message, StringComparison.Ordinal);
        Within(elapsed, rss, seconds: 1, ex.Message);

        var side = Assert.Throws<NativeImageException>(() => NativeThumbnailer.Plan(png, Budgeted(maxDimension: 65535)));
        Assert.Equal((NativeStatus.TooLarge, "the image is 99000000x1, over the largest side of 65535 pixels"), (side.Status, side.Message));
    }

    [Fact]
    public void APngOneColumnWideAndTallerThanAnyLimitIsRefusedOnItsHeader_NFR8()
    {
        var png = HostileImages.Png(1, 99_000_000);

        var (ex, elapsed, rss) = Measure(() => NativeThumbnailer.CreateThumbnail(png, Budgeted(maxDimension: 65535)));
        Assert.Equal((NativeStatus.TooLarge, "the image is 1x99000000, over the largest side of 65535 pixels"), (ex.Status, ex.Message));
        Within(elapsed, rss, seconds: 1, ex.Message);

        // No side limit of our own: libpng's default of 1,000,000 still holds.
        var libpng = Assert.Throws<NativeImageException>(() => NativeThumbnailer.CreateThumbnail(png, Budgeted(maxMemory: 0)));
        Assert.Equal((NativeStatus.TooLarge, "the image is 1x99000000, over libpng's largest side of 1000000 pixels"), (libpng.Status, libpng.Message));
    }

    [Fact]
    public void APngTooTallToFinishInTimeStopsWithinASecondOfCancellation_NFR8()
    {
        // 99,000,000 rows, allowed by the limits given here: about 4 s of rows one pixel wide (a row
        // per iteration, the reducer on the decoder's thread); the flag is read before every row.
        var png = HostileImages.Png(1, 99_000_000);
        var (ex, elapsed, sinceCancel) = Cancelled(token => NativeThumbnailer.CreateThumbnail(png, Budgeted(maxDimension: 100_000_000), token), TimeSpan.FromMilliseconds(300));
        Assert.Equal((NativeStatus.Cancelled, "cancelled"), (ex.Status, ex.Message));
        Honoured(elapsed, sinceCancel);
    }

    [Fact]
    public void ALargePngDecodeStopsWithinASecondOfCancellation_NFR8()
    {
        // 16,000 x 16,000 RGBA (256 MP; 0.8 MB of zlib): a legitimately slow decode, 1-2 s in Release.
        var png = HostileImages.Png(16_000, 16_000);
        var (ex, elapsed, sinceCancel) = Cancelled(token => NativeThumbnailer.CreateThumbnail(png, Budgeted(maxPixels: 300_000_000), token), TimeSpan.FromMilliseconds(200));
        Assert.Equal(NativeStatus.Cancelled, ex.Status);
        Honoured(elapsed, sinceCancel);
    }

    [Fact]
    public void AProgressiveJpegOfFiftyThousandTruncatedDcScansFailsInAFewMilliseconds_NFR8()
    {
        // The issue's 600 KB file (8000 x 8000, 50,000 DC scans of two bytes each), minutes before.
        var jpeg = HostileImages.ProgressiveJpegOfTruncatedDcScans(8000, 8000, 50_000);
        output.WriteLine($"{jpeg.Length / 1024} KB");

        // At 1/8 the scan walk counts the scans first.
        var (ex, elapsed, rss) = Measure(() => NativeThumbnailer.CreateThumbnail(jpeg, Budgeted()));
        Assert.Equal((NativeStatus.Invalid, "more than 500 scans in a progressive JPEG"), (ex.Status, ex.Message));
        Within(elapsed, rss, seconds: 5, ex.Message);

        // With no scan limit to speak of, the first DC scan's missing data fails the image (libjpeg
        // would fill it with grey and only warn), at 1/8 and at a larger scale.
        foreach (var maxSide in new[] { 256, 2048 })
        {
            (ex, elapsed, rss) = Measure(() => NativeThumbnailer.CreateThumbnail(jpeg, Budgeted(maxSide: maxSide, maxScans: 1_000_000)));
            Assert.Equal(NativeStatus.Invalid, ex.Status);
            Assert.Contains("premature end of data segment (scan 1, iMCU row 1 of 500)", ex.Message, StringComparison.Ordinal);
            Within(elapsed, rss, seconds: 5, ex.Message);
        }
    }

    [Fact]
    public void AProgressiveJpegOfTooManyValidScansFailsAtTheScanLimit_NFR8()
    {
        // 50,000 complete AC scans of a few bytes each over 2048 x 2048: valid, but each one walks
        // every block. libjpeg's progress monitor stops it at scan 501 (at 1/8, the scan walk).
        var jpeg = HostileImages.ProgressiveJpegOfEmptyAcScans(2048, 2048, 50_000);
        foreach (var (maxSide, maxScans, expected) in new[] { (2048, 0, 500), (256, 0, 500), (2048, 10, 10) })
        {
            var (ex, elapsed, rss) = Measure(() => NativeThumbnailer.CreateThumbnail(jpeg, Budgeted(maxSide: maxSide, maxScans: maxScans)));
            Assert.Equal((NativeStatus.Invalid, $"more than {expected} scans in a progressive JPEG"), (ex.Status, ex.Message));
            Within(elapsed, rss, seconds: 5, ex.Message);
        }

        // Under the limit the same structure is a grey image.
        var fine = HostileImages.ProgressiveJpegOfEmptyAcScans(2048, 2048, 20);
        Assert.Equal((1024, 1024), Dimensions(NativeThumbnailer.CreateThumbnail(fine, Budgeted(maxSide: 1024)).Data, out _));
    }

    [Fact]
    public void AProgressiveJpegDecodeStopsWithinASecondOfCancellation_NFR8()
    {
        // 8000 x 8000 with 400 complete AC scans (under the scan limit) at 1/4 scale: libjpeg reads
        // every scan into its coefficient buffer (128 MiB), 1-2 s; the progress monitor reads the flag.
        var jpeg = HostileImages.ProgressiveJpegOfEmptyAcScans(8000, 8000, 400);
        var plan = NativeThumbnailer.Plan(jpeg, Budgeted(maxSide: 2048));
        Assert.InRange(plan.MemoryBytes, 1_000_000L * 128, DefaultBudget);

        var (ex, elapsed, sinceCancel) = Cancelled(token => NativeThumbnailer.CreateThumbnail(jpeg, Budgeted(maxSide: 2048), token), TimeSpan.FromMilliseconds(300));
        Assert.Equal((NativeStatus.Cancelled, "cancelled"), (ex.Status, ex.Message));
        Honoured(elapsed, sinceCancel);
    }

    [Fact]
    public void ALosslessWebpBombIsOverBudgetOnItsHeader_NFR8()
    {
        // 28 bytes, 16383 x 16383 pixels of no bits each: libwebp would hold 1 GiB of ARGB.
        var webp = HostileImages.LosslessWebp(16383, 16383);
        Assert.True(webp.Length < 64);

        var unlimited = NativeThumbnailer.Plan(webp, Budgeted(maxPixels: 300_000_000, maxMemory: 0));
        Assert.True(unlimited.MemoryBytes >= 16383L * 16383 * 4, $"{unlimited.MemoryBytes / Mib} MiB");

        var (ex, elapsed, rss) = Measure(() => NativeThumbnailer.CreateThumbnail(webp, Budgeted(maxPixels: 300_000_000)));
        Assert.Equal(NativeStatus.OverBudget, ex.Status);
        Assert.Matches(@"^decoding needs about 10\d\d MiB of working memory \(lossless WebP 16383x16383, 4 channels\), over the limit of 512 MiB$", ex.Message);
        Within(elapsed, rss, seconds: 1, ex.Message);

        // The pixel limit, when it is the smaller one, says so first.
        Assert.Equal(NativeStatus.TooLarge, Assert.Throws<NativeImageException>(() => NativeThumbnailer.Plan(webp, Budgeted())).Status);
    }

    [Fact]
    public void ALosslessWebpOfTensOfThousandsOfCodeGroupsIsOverBudgetThoughItsPixelsAreFew_NFR8()
    {
        // 1024 x 1024 (4 MiB of ARGB) whose entropy image names 65,536 groups of prefix codes:
        // libwebp would build about 780 MiB of lookup tables. The header scanner counts them.
        var webp = HostileImages.LosslessWebpWithManyCodeGroups(1024, 1024);
        output.WriteLine($"{webp.Length / 1024} KB");

        var unlimited = NativeThumbnailer.Plan(webp, Budgeted(maxMemory: 0));
        Assert.InRange(unlimited.MemoryBytes, 700 * Mib, 900 * Mib);

        var (ex, elapsed, rss) = Measure(() => NativeThumbnailer.CreateThumbnail(webp, Budgeted()));
        Assert.Equal(NativeStatus.OverBudget, ex.Status);
        Assert.Contains("(lossless WebP 1024x1024, 3 channels), over the limit of 512 MiB", ex.Message, StringComparison.Ordinal);
        Within(elapsed, rss, seconds: 2, ex.Message);

        // A few groups are what encoders write: well under the budget.
        var modest = HostileImages.LosslessWebpWithManyCodeGroups(64, 64);
        Assert.InRange(NativeThumbnailer.Plan(modest, Budgeted()).MemoryBytes, Mib / 8, 32 * Mib);
        Assert.Equal((64, 64), Dimensions(NativeThumbnailer.CreateThumbnail(modest, Budgeted()).Data, out _));
    }

    [Fact]
    public void AnAnimatedWebpGivesItsFirstFrameAndItsFrameCount_NFR8()
    {
        var webp = HostileImages.AnimatedWebp(600, 400, 0xFFFF0000, 0xFF0000FF, 0xFF00FF00);

        var plan = NativeThumbnailer.Plan(webp, Budgeted());
        Assert.Equal((3, 600, 400, true), (plan.Frames, plan.Width, plan.Height, plan.HasAlpha));
        // The canvas twice (600 x 400 x 4) plus the first frame's decode: a few MiB.
        Assert.InRange(plan.MemoryBytes, 2 * 600 * 400 * 4, 16 * Mib);

        var thumbnail = NativeThumbnailer.CreateThumbnail(webp, Budgeted());
        Assert.Equal(3, thumbnail.Source.Frames);
        Assert.Equal((256, 171), Dimensions(thumbnail.Data, out var centre));
        Assert.True(centre.R > 230 && centre.G < 30 && centre.B < 30, $"the first frame is red: {centre}");
    }

    [Fact]
    public void AnApngGivesItsDefaultImageAndItsFrameCount_NFR8()
    {
        var still = TestImages.Png(500, 300, seed: 85);
        var apng = HostileImages.Apng(still, frames: 3);

        Assert.Equal(1, NativeThumbnailer.Plan(still, Budgeted()).Frames);
        Assert.Equal(3, NativeThumbnailer.Plan(apng, Budgeted()).Frames);
        var thumbnail = NativeThumbnailer.CreateThumbnail(apng, Budgeted());
        Assert.Equal(3, thumbnail.Source.Frames);
        Assert.Equal(NativeThumbnailer.CreateThumbnail(still, Budgeted()).Data, thumbnail.Data);
    }

    [Fact]
    public void ExtraneousBytesBeforeAMarkerStillGiveTheSameThumbnail_NFR8()
    {
        // A benign libjpeg warning that camera files trigger: garbage between segments.
        var jpeg = TestImages.Jpeg(1200, 800, seed: 86);
        var expected = NativeThumbnailer.CreateThumbnail(jpeg, Budgeted()).Data;
        var beforeEoi = HostileImages.WithExtraneousBytes(jpeg, jpeg.Length - 2, [0x12, 0x34, 0x56]);
        var betweenSegments = HostileImages.WithExtraneousBytes(jpeg, HostileImages.SecondSegmentOffset(jpeg), [0x00, 0x42]);

        Assert.Equal(expected, NativeThumbnailer.CreateThumbnail(beforeEoi, Budgeted()).Data);
        Assert.Equal(expected, NativeThumbnailer.CreateThumbnail(betweenSegments, Budgeted()).Data);
    }

    [Fact]
    public async Task AFileMissingOnlyItsEoiMarkerGivesTheSameThumbnail_NFR8()
    {
        var sequential = TestImages.Jpeg(1200, 800, seed: 87);
        var progressive = await TestImages.ProgressiveAsync(await TestImages.CjpegAsync(1200, 800, 88, "-quality", "85"));
        foreach (var jpeg in new[] { sequential, progressive })
        {
            Assert.Equal([0xFF, 0xD9], jpeg[^2..]);
            var expected = NativeThumbnailer.CreateThumbnail(jpeg, Budgeted()).Data;
            Assert.Equal(expected, NativeThumbnailer.CreateThumbnail(jpeg[..^2], Budgeted()).Data);
        }
    }

    public static TheoryData<string, double> Truncations => new()
    {
        { "jpeg", 0.25 }, { "jpeg", 0.5 }, { "jpeg", 0.75 }, { "jpeg", 0.95 },
        { "progressive-dc", 0.5 }, { "progressive", 0.6 }, { "progressive", 0.9 },
        { "png", 0.5 }, { "png", 0.9 }, { "webp", 0.5 }, { "webp", 0.9 }, { "lossless-webp", 0.5 },
    };

    [Theory]
    [MemberData(nameof(Truncations))]
    public async Task AFileCutInTheMiddleFailsQuickly_NFR8(string kind, double kept)
    {
        var (bytes, cut) = kind switch
        {
            "jpeg" => Cut(TestImages.Jpeg(1600, 1200, seed: 89), kept),
            "png" => Cut(TestImages.Png(1200, 900, seed: 90), kept),
            "webp" => Cut(TestImages.Webp(1600, 1200, seed: 91), kept),
            "lossless-webp" => Cut(HostileImages.LosslessWebpWithManyCodeGroups(256, 256), kept),
            _ => await ProgressiveCutAsync(kind, kept),
        };

        var (ex, elapsed, rss) = Measure(() => NativeThumbnailer.CreateThumbnail(cut, Budgeted()));
        output.WriteLine($"{kind} cut at {kept:P0} of {bytes.Length} bytes: {ex.Status}: {ex.Message}");
        Assert.Equal(NativeStatus.Invalid, ex.Status);
        Within(elapsed, rss, seconds: 5, ex.Message);
    }

    public static TheoryData<string> Formats => ["jpeg", "progressive-jpeg", "png", "webp", "animated-webp"];

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task ACancelledTokenStopsEveryFormatBeforeItDecodes_NFR8(string kind)
    {
        var bytes = kind switch
        {
            "jpeg" => TestImages.Jpeg(1600, 1200, seed: 92),
            "progressive-jpeg" => await TestImages.ProgressiveAsync(await TestImages.CjpegAsync(1600, 1200, 93, "-quality", "85")),
            "png" => TestImages.Png(1600, 1200, seed: 94),
            "webp" => TestImages.Webp(1600, 1200, seed: 95),
            _ => HostileImages.AnimatedWebp(320, 240, 0xFFFF0000, 0xFF00FF00),
        };

        var ex = Assert.Throws<NativeImageException>(() => NativeThumbnailer.CreateThumbnail(bytes, Budgeted(), new CancellationToken(canceled: true)));
        Assert.Equal((NativeStatus.Cancelled, "cancelled"), (ex.Status, ex.Message));
        Assert.NotEmpty(NativeThumbnailer.CreateThumbnail(bytes, Budgeted(), CancellationToken.None).Data);
    }

    private static (byte[] Original, byte[] Cut) Cut(byte[] bytes, double kept) => (bytes, bytes[..(int)(bytes.Length * kept)]);

    private static async Task<(byte[], byte[])> ProgressiveCutAsync(string kind, double kept)
    {
        var jpeg = await TestImages.ProgressiveAsync(await TestImages.CjpegAsync(2400, 1600, 96, "-quality", "85"));
        if (kind != "progressive-dc")
        {
            return Cut(jpeg, kept);
        }

        // Inside the first (DC) scan: the data every scale reads.
        var (start, end) = HostileImages.ScanData(jpeg, 1);
        return (jpeg, jpeg[..(start + (int)((end - start) * kept))]);
    }

    private static (int, int) Dimensions(byte[] encoded, out Rgb24 centre)
    {
        using var image = Image.Load<Rgb24>(encoded);
        centre = image[image.Width / 2, image.Height / 2];
        return (image.Width, image.Height);
    }

    /// <summary>Runs a call that must fail; returns its exception, the time it took and how far the process's peak RSS rose during it.</summary>
    private static (NativeImageException Error, TimeSpan Elapsed, long PeakRssGrowth) Measure(Func<object> call)
    {
        var before = PeakRss.Reset();
        var stopwatch = Stopwatch.StartNew();
        var ex = Assert.Throws<NativeImageException>(() => call());
        stopwatch.Stop();
        return (ex, stopwatch.Elapsed, PeakRss.Peak() - before);
    }

    /// <summary>Runs a call that must be cancelled: another thread (a timer's) cancels its token after <paramref name="delay"/>.</summary>
    private static (NativeImageException Error, TimeSpan Elapsed, TimeSpan SinceCancel) Cancelled(Func<CancellationToken, object> call, TimeSpan delay)
    {
        using var source = new CancellationTokenSource();
        var cancelledAt = TimeSpan.MaxValue;
        var stopwatch = Stopwatch.StartNew();
        using var timer = new Timer(_ =>
        {
            cancelledAt = stopwatch.Elapsed;
            source.Cancel();
        }, null, delay, Timeout.InfiniteTimeSpan);
        var ex = Assert.Throws<NativeImageException>(() => call(source.Token));
        var elapsed = stopwatch.Elapsed;
        Assert.True(cancelledAt != TimeSpan.MaxValue, "the decode ended before the token was cancelled");
        return (ex, elapsed, elapsed - cancelledAt);
    }

    private void Within(TimeSpan elapsed, long rssGrowth, double seconds, string message)
    {
        output.WriteLine($"{elapsed.TotalMilliseconds:F1} ms, peak RSS +{rssGrowth / (double)Mib:F1} MiB: {message}");
        Assert.True(elapsed < TimeSpan.FromSeconds(seconds), $"{elapsed.TotalSeconds:F2} s");
        Assert.True(rssGrowth < 64 * Mib, $"peak RSS grew by {rssGrowth / Mib} MiB");
    }

    private void Honoured(TimeSpan elapsed, TimeSpan sinceCancel)
    {
        output.WriteLine($"stopped after {elapsed.TotalMilliseconds:F0} ms, {sinceCancel.TotalMilliseconds:F0} ms after the token was cancelled");
        Assert.True(sinceCancel < TimeSpan.FromSeconds(1), $"{sinceCancel.TotalMilliseconds:F0} ms after the cancellation");
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeBudgetCollection
{
    public const string Name = "native budget (alone, for RSS)";
}
