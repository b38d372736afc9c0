using System.Buffers.Binary;
using Images.Native;
using Images.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace Images.Tests.Native;

/// <summary>
/// FR-8.6 at the library (ABI 6): GIF (giflib), HEIC (libheif) and AVIF (libavif's decoder) from
/// files Debian's own encoders made of a real photo and of Debian's logo with transparency:
/// sizes, colours against vips's decode of the same file (PSNR), irot/imir applied exactly once,
/// alpha kept, the first frame of an animation and the frame count read from the container;
/// hostile files failed on the header or within their budget (NFR-7, NFR-8).
/// </summary>
public class NativeInputFormatsTests(InputFormatFiles files, ITestOutputHelper output) : IClassFixture<InputFormatFiles>
{
    private static readonly NativeRenditionFormat[] All = [NativeRenditionFormat.Jpeg, NativeRenditionFormat.Webp, NativeRenditionFormat.Png, NativeRenditionFormat.Avif];

    private static readonly NativeThumbnailRequest Limits = new(256, 85, 100_000_000, 512L * 1024 * 1024, 65535);

    private static NativeRenditionsRequest Request(params int[] sides) => new(sides, All, Limits);

    [Fact]
    public void TheLibraryReportsWhichInputDecodersLoaded_FR8_6()
    {
        var features = NativeRenditionMaker.Features;
        output.WriteLine(NativeRenditionMaker.FeatureStatus);
        Assert.True(features.HasFlag(NativeFeatures.HeicInput), NativeRenditionMaker.FeatureStatus);
        Assert.True(features.HasFlag(NativeFeatures.AvifInput), NativeRenditionMaker.FeatureStatus);
        Assert.Contains("HEIC input: libheif 1.15", NativeRenditionMaker.FeatureStatus, StringComparison.Ordinal);
        Assert.Contains("AVIF input: libavif 0.11", NativeRenditionMaker.FeatureStatus, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("photo.heic", "HEIC", 30)]
    [InlineData("photo.avif", "AVIF", 30)]
    [InlineData("photo.gif", "GIF", 30)]
    public async Task ARealPhotoInEachNewFormatMatchesVips_FR8_6(string name, string format, double minimumPsnr)
    {
        var file = files.Path(name);
        var reference = files.Path(name + ".vips.png");
        await Vips("thumbnail", file, reference, "256", "--size", "down");
        using var expected = Image.Load<Rgb24>(reference);

        var set = NativeRenditionMaker.Create(file, Request(256, 64));
        Assert.Equal(format, set.Source.Format);
        Assert.Equal(1, set.Source.Frames);
        Assert.Equal((1024, expected.Height * 1024 / 256), (set.Source.Width, set.Source.Height / 4 * 4));
        Assert.Equal((expected.Width, expected.Height), (set.Renditions[0].Width, set.Renditions[0].Height));
        Assert.False(set.Source.HasAlpha);
        foreach (var (kind, bytes) in set.Renditions[0].Files)
        {
            using var decoded = (await RenditionFiles.DecodeAsync(bytes, kind.ToString().ToLowerInvariant())).CloneAs<Rgb24>();
            var psnr = TestImages.Psnr(decoded, expected);
            output.WriteLine($"{name} {kind}: {bytes.Length / 1024.0:F1} KB, {psnr:F1} dB against vips's thumbnail of the same file");
            Assert.True(psnr >= minimumPsnr, $"{name} {kind}: {psnr:F1} dB");
        }

        Assert.Equal(64, Math.Max(set.Renditions[1].Width, set.Renditions[1].Height));
    }

    [Theory]
    [InlineData("p3.heic")]
    [InlineData("p3.avif")]
    public async Task AWideGamutHeicOrAvifComesOutInSrgb_FR8_1(string name)
    {
        // The profile sits in the container's colr property (read without a decoder) and lcms2 converts it.
        var file = files.Path(name);
        var set = NativeRenditionMaker.Create(file, Request(256));
        Assert.Equal(NativeColour.Converted, set.Colour);
        var reference = files.Path(name + ".srgb.png");
        await Vips("thumbnail", file, reference, "256", "--size", "down", "--export-profile", "srgb");
        using var expected = Image.Load<Rgb24>(reference);
        var unconverted = files.Path(name + ".p3.png"); // vips keeps the P3 values without --export-profile
        await Vips("thumbnail", file, unconverted, "256", "--size", "down");
        using var raw = Image.Load<Rgb24>(unconverted);
        foreach (var (kind, bytes) in set.Renditions[0].Files)
        {
            using var decoded = (await RenditionFiles.DecodeAsync(bytes, kind.ToString().ToLowerInvariant())).CloneAs<Rgb24>();
            var psnr = TestImages.Psnr(decoded, expected);
            var rawPsnr = TestImages.Psnr(decoded, raw);
            output.WriteLine($"{name} {kind}: {psnr:F1} dB against vips's sRGB thumbnail, {rawPsnr:F1} dB against the P3 values");
            Assert.True(psnr >= 30, $"{name} {kind}: {psnr:F1} dB");
            Assert.True(psnr >= rawPsnr + 3, $"{name} {kind}: not clearly converted ({psnr:F1} against {rawPsnr:F1} dB)");
        }
    }

    [Fact]
    public async Task AvifIrotAndImirAreAppliedExactlyOnce_FR8_6()
    {
        using var upright = Image.Load<Rgb24>(NativeRenditionMaker.Create(files.PhotoAvif, Request(256)).Renditions[0].Files[NativeRenditionFormat.Jpeg]);
        foreach (var (angle, mirror) in InputFormatFiles.Rotations)
        {
            var file = files.RotatedAvif(angle, mirror);
            var set = NativeRenditionMaker.Create(file, Request(256));
            var reference = file + ".vips.png";
            await Vips("thumbnail", file, reference, "256", "--size", "down"); // libheif applies irot and imir
            using var expected = Image.Load<Rgb24>(reference);
            using var made = Image.Load<Rgb24>(set.Renditions[0].Files[NativeRenditionFormat.Jpeg]);
            var psnr = TestImages.Psnr(made, expected);
            output.WriteLine($"irot {angle} imir {mirror?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}: orientation {set.Source.Orientation}, {made.Width}x{made.Height}, {psnr:F1} dB against vips");
            Assert.Equal((expected.Width, expected.Height), (made.Width, made.Height));
            Assert.True(psnr >= 30, $"irot {angle} imir {mirror}: {psnr:F1} dB: rotated or mirrored wrongly");
            // The stored size is the upright photo's: the transform is applied once, after decoding.
            Assert.Equal(1024, set.Source.Width);
            if (angle % 2 == 1)
            {
                Assert.Equal((upright.Height, upright.Width), (made.Width, made.Height));
            }
        }
    }

    [Fact]
    public async Task HeicIrotIsAppliedOnceByLibheif_FR8_6()
    {
        var upright = NativeRenditionMaker.Create(files.PhotoHeic, Request(256));
        var set = NativeRenditionMaker.Create(files.RotatedHeic, Request(256));
        // libheif reports the size after irot and applies it while decoding: the library adds nothing.
        Assert.Equal(1, set.Source.Orientation);
        Assert.Equal((upright.Source.Height, upright.Source.Width), (set.Source.Width, set.Source.Height));
        Assert.Equal((upright.Renditions[0].Height, upright.Renditions[0].Width), (set.Renditions[0].Width, set.Renditions[0].Height));
        var reference = files.Path("rotated.vips.png");
        await Vips("thumbnail", files.RotatedHeic, reference, "256", "--size", "down");
        using var expected = Image.Load<Rgb24>(reference);
        using var made = Image.Load<Rgb24>(set.Renditions[0].Files[NativeRenditionFormat.Jpeg]);
        var psnr = TestImages.Psnr(made, expected);
        output.WriteLine($"irot 1 HEIC: {made.Width}x{made.Height}, {psnr:F1} dB against vips");
        Assert.True(psnr >= 30, $"{psnr:F1} dB: rotated wrongly or twice");
    }

    [Fact]
    public async Task HeicGeometryIsLibheifsAndExifOrientationIsNotAppliedAgain_FR8_6()
    {
        // heif-enc keeps the JPEG's EXIF (orientation 6) and writes no irot: libheif, vips and
        // HEIF readers show the picture as coded; the EXIF tag is not applied on top.
        var set = NativeRenditionMaker.Create(files.ExifHeic, Request(256));
        Assert.Equal(1, set.Source.Orientation);
        var reference = files.Path("exif6.vips.png");
        await Vips("thumbnail", files.ExifHeic, reference, "256", "--size", "down");
        using var expected = Image.Load<Rgb24>(reference);
        using var made = Image.Load<Rgb24>(set.Renditions[0].Files[NativeRenditionFormat.Jpeg]);
        Assert.Equal((expected.Width, expected.Height), (made.Width, made.Height));
        Assert.Equal((120, 80), (made.Width, made.Height));
        Assert.True(TestImages.Psnr(made, expected) >= 30);
    }

    [Theory]
    [InlineData("logo.heic")]
    [InlineData("logo.avif")]
    [InlineData("transparent.gif")]
    public async Task AlphaIsKeptInWebpAndPngAndFlattenedInJpeg_FR8_6(string name)
    {
        var file = files.Path(name);
        var set = NativeRenditionMaker.Create(file, Request(256));
        Assert.True(set.Source.HasAlpha, $"{name} has alpha");
        Assert.Equal(4, set.Source.Channels);
        var rendition = set.Renditions[0];
        Assert.Contains(NativeRenditionFormat.Png, rendition.Files.Keys);

        // Where vips's decode of the same file is transparent (or opaque), the PNG is too.
        var reference = files.Path(name + ".alpha.png");
        await Vips("thumbnail", file, reference, "256", "--size", "down");
        using var expected = Image.Load<Rgba32>(reference);
        using var png = Image.Load<Rgba32>(rendition.Files[NativeRenditionFormat.Png]);
        using var webp = Image.Load<Rgba32>(rendition.Files[NativeRenditionFormat.Webp]);
        using var jpeg = Image.Load<Rgba32>(rendition.Files[NativeRenditionFormat.Jpeg]);
        Assert.Equal((expected.Width, expected.Height), (png.Width, png.Height));
        // Edges are resampled a little differently (vips's and the library's filters): within 8 of 255.
        int transparent = 0, opaque = 0, agree = 0, webpAgree = 0, white = 0;
        for (var y = 0; y < png.Height; y++)
        {
            for (var x = 0; x < png.Width; x++)
            {
                var a = expected[x, y].A;
                if (a is not (0 or 255))
                {
                    continue;
                }

                (a == 0 ? ref transparent : ref opaque)++;
                agree += Math.Abs(png[x, y].A - a) <= 8 ? 1 : 0;
                webpAgree += Math.Abs(webp[x, y].A - a) <= 8 ? 1 : 0;
                white += a == 0 && jpeg[x, y] is { R: >= 245, G: >= 245, B: >= 245 } ? 1 : 0;
            }
        }

        output.WriteLine($"{name}: {transparent} transparent, {opaque} opaque; PNG agrees on {agree}, WebP on {webpAgree}; JPEG white on {white}");
        Assert.True(transparent > 1000 && opaque > 20, "both kinds of pixels are there");
        Assert.True(agree >= (transparent + opaque) * 0.97, $"PNG alpha agrees with vips on {agree} of {transparent + opaque}");
        Assert.True(webpAgree >= (transparent + opaque) * 0.97, $"WebP alpha agrees on {webpAgree} of {transparent + opaque}");
        Assert.True(white >= transparent * 0.98, $"the JPEG is white where the image is transparent: {white} of {transparent}");
    }

    [Theory]
    [InlineData("animated.gif", "GIF")]
    [InlineData("sequence.avif", "AVIF")]
    public void AnAnimationIsRenderedFromItsFirstFrameAndItsFramesAreCounted_FR8_6(string name, string format)
    {
        var file = files.Path(name);
        var plan = NativeRenditionMaker.Plan(file, Request(256));
        Assert.Equal(3, plan.Frames);
        var set = NativeRenditionMaker.Create(file, Request(256));
        Assert.Equal(format, set.Source.Format);
        Assert.Equal(3, set.Source.Frames);
        var first = InputFormatFiles.FrameColours[0];
        foreach (var (kind, bytes) in set.Renditions[0].Files.Where(f => f.Key != NativeRenditionFormat.Avif))
        {
            using var image = Image.Load<Rgb24>(bytes);
            var centre = image[image.Width / 2, image.Height / 2];
            output.WriteLine($"{name} {kind}: centre {centre}");
            Assert.True(Math.Abs(centre.R - first.R) <= 12 && Math.Abs(centre.G - first.G) <= 12 && Math.Abs(centre.B - first.B) <= 12,
                $"{name} {kind}: the centre is {centre}, not the first frame's {first}");
        }
    }

    [Fact]
    public void StillImagesHaveOneFrame_FR8_6()
    {
        foreach (var file in new[] { files.PhotoHeic, files.PhotoAvif, files.PhotoGif, files.LogoHeic, files.TransparentGif })
        {
            Assert.Equal(1, NativeThumbnailer.Probe(file).Frames);
        }
    }

    [Fact]
    public void AGifsFramesAreCountedWithoutDecodingThemUpTo100000_NFR8()
    {
        // 150,000 frames of 1 x 1 pixel, a few bytes each: counted by walking the blocks, capped.
        var gif = HostileImages.GifOfFrames(150_000);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var plan = NativeThumbnailer.Plan(gif, Limits);
        output.WriteLine($"{gif.Length / 1024} KB, {plan.Frames} frames counted in {started.ElapsedMilliseconds} ms");
        Assert.Equal(100_000, plan.Frames);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(2));
        var thumbnail = NativeThumbnailer.CreateThumbnail(gif, Limits);
        Assert.Equal((1, 1), (thumbnail.Width, thumbnail.Height));
    }

    [Fact]
    public void HostileGifsFailOnTheHeaderOrWithinTheirBudget_NFR7()
    {
        // A logical screen of 65,535 x 65,535: over the pixel limit before anything is decoded.
        var screen = Assert.Throws<NativeImageException>(() => NativeThumbnailer.Plan(HostileImages.GifClaiming(65_535, 65_535, 1, 1), Limits));
        Assert.Equal(NativeStatus.TooLarge, screen.Status);
        Assert.Contains("pixels", screen.Message, StringComparison.Ordinal);

        // A first frame of 65,535 x 65,535 on a small screen, with 20 bytes of data: cut short.
        var frame = Assert.Throws<NativeImageException>(() => NativeThumbnailer.CreateThumbnail(HostileImages.GifClaiming(64, 64, 65_535, 65_535), Limits));
        Assert.Equal(NativeStatus.Invalid, frame.Status);
        output.WriteLine(frame.Message);

        // Truncated: the real photo's GIF cut in half.
        var photo = File.ReadAllBytes(files.PhotoGif);
        var cut = Assert.Throws<NativeImageException>(() => NativeThumbnailer.CreateThumbnail(photo.AsSpan(0, photo.Length / 2), Limits));
        Assert.Equal(NativeStatus.Invalid, cut.Status);
        Assert.Contains("GIF", cut.Message, StringComparison.Ordinal);
        output.WriteLine(cut.Message);
    }

    [Fact]
    public void AnLzwBombDecodesWithinTheMemoryBudgetAndStopsWhenCancelled_NFR8()
    {
        // 8,000 x 8,000 pixels of one colour: LZW packs 64 MP into well under a megabyte.
        var bomb = File.ReadAllBytes(files.GifBomb);
        var plan = NativeThumbnailer.Plan(bomb, Limits);
        output.WriteLine($"{bomb.Length / 1024} KB for 64 MP; plan {plan.MemoryBytes / 1048576.0:F1} MiB");
        Assert.True(plan.MemoryBytes < 4L * 1024 * 1024, "rows stream: no frame-sized buffer for a non-interlaced GIF");
        using var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        var started = System.Diagnostics.Stopwatch.StartNew();
        var stopped = Assert.Throws<NativeImageException>(() => NativeThumbnailer.CreateThumbnail(bomb, Limits, soon.Token));
        output.WriteLine($"cancelled after {started.ElapsedMilliseconds} ms");
        Assert.Equal(NativeStatus.Cancelled, stopped.Status);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(2));
        var tight = Assert.Throws<NativeImageException>(() => NativeThumbnailer.Plan(bomb, Limits with { MaxPixels = 50_000_000 }));
        Assert.Equal(NativeStatus.TooLarge, tight.Status);
    }

    [Fact]
    public void HeicAndAvifClaimingHugeSizesFailBeforeDecoding_NFR7()
    {
        foreach (var (file, what) in new[] { (files.PhotoHeic, "HEIC"), (files.PhotoAvif, "AVIF") })
        {
            var huge = HostileImages.WithIspe(File.ReadAllBytes(file), 100_000, 100_000);
            var error = Assert.Throws<NativeImageException>(() => NativeThumbnailer.Plan(huge, Limits));
            output.WriteLine($"{what} claiming 100000x100000: {error.Status}: {error.Message}");
            Assert.True(error.Status is NativeStatus.TooLarge or NativeStatus.Invalid, $"{what}: {error.Status}");
            Assert.DoesNotContain('\uFFFD', error.Message); // a readable reason
        }
    }

    [Theory]
    [InlineData("photo.heic")]
    [InlineData("photo.avif")]
    [InlineData("sequence.avif")]
    public void TruncatedHeicAndAvifFailWithAReason_NFR7(string name)
    {
        var bytes = File.ReadAllBytes(files.Path(name));
        foreach (var length in new[] { bytes.Length / 2, bytes.Length - 10, 40 })
        {
            var error = Assert.Throws<NativeImageException>(() => NativeThumbnailer.CreateThumbnail(bytes.AsSpan(0, length), Limits));
            output.WriteLine($"{name} cut at {length}: {error.Status}: {error.Message}");
            Assert.Equal(NativeStatus.Invalid, error.Status);
            Assert.DoesNotContain('\uFFFD', error.Message);
            Assert.False(string.IsNullOrWhiteSpace(error.Message));
        }
    }

    [Theory]
    [InlineData("photo.heic")]
    [InlineData("photo.avif")]
    [InlineData("logo.heic")]
    [InlineData("photo.gif")]
    public void TheMemoryBudgetIsCheckedOnTheHeader_NFR8(string name)
    {
        var file = files.Path(name);
        var plan = NativeRenditionMaker.Plan(file, Request(256));
        output.WriteLine($"{name}: plan {plan.MemoryBytes / 1048576.0:F1} MiB");
        var tight = new NativeRenditionsRequest([256], All, Limits with { MaxMemoryBytes = plan.MemoryBytes - 1 });
        var over = Assert.Throws<NativeImageException>(() => NativeRenditionMaker.Create(file, tight));
        Assert.Equal(NativeStatus.OverBudget, over.Status);
        Assert.Contains("MiB", over.Message, StringComparison.Ordinal);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Equal(NativeStatus.Cancelled, Assert.Throws<NativeImageException>(() => NativeRenditionMaker.Create(file, Request(256), cancelled.Token)).Status);
    }

    private static async Task Vips(params string[] arguments)
    {
        var run = await RepositoryFiles.RunAsync("vips", arguments, TimeSpan.FromSeconds(120));
        Assert.True(run.ExitCode == 0, $"vips {string.Join(' ', arguments)}: {run.Error}");
    }
}
