using Images.Native;
using Images.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace Images.Tests.Native;

/// <summary>
/// FR-8.1 and FR-8.2 at the library (ABI 5) on real images from Debian packages: every size in
/// every format, one decode; today's JPEG thumbnail byte for byte; alpha kept where the format
/// has it and flattened on white in JPEG (Debian's logo artwork); a Display P3 photo converted to
/// sRGB as vips/lcms2 convert it; no EXIF, GPS, XMP or ICC left in any output; the budget and
/// cancellation (NFR-8).
/// </summary>
public class NativeRenditionsTests(DebianPhotos photos, DebianAlphaImages alpha, ITestOutputHelper output)
    : IClassFixture<DebianPhotos>, IClassFixture<DebianAlphaImages>
{
    private static readonly NativeRenditionFormat[] All = [NativeRenditionFormat.Jpeg, NativeRenditionFormat.Webp, NativeRenditionFormat.Png, NativeRenditionFormat.Avif];

    private static readonly NativeThumbnailRequest Limits = new(256, 85, 100_000_000, 512L * 1024 * 1024, 65535);

    private static NativeRenditionsRequest Request(params int[] sides) => new(sides, All, Limits);

    private static string Name(NativeRenditionFormat format) => format.ToString().ToLowerInvariant();

    private static (int Width, int Height) Expected(NativeImageInfo source, int side)
    {
        var (w, h) = source.Orientation >= 5 ? (source.Height, source.Width) : (source.Width, source.Height);
        if (Math.Max(w, h) <= side)
        {
            return (w, h);
        }

        return w >= h ? (side, Math.Max(1, (int)Math.Round((double)h * side / w))) : (Math.Max(1, (int)Math.Round((double)w * side / h)), side);
    }

    [Theory]
    [InlineData(".jpg")]
    [InlineData(".png")]
    [InlineData(".webp")]
    public async Task EveryRenditionOfARealImageHasItsSizeInEveryFormat_FR8_1(string extension)
    {
        Assert.True(NativeRenditionMaker.Features.HasFlag(NativeFeatures.Avif), NativeRenditionMaker.FeatureStatus);
        foreach (var file in photos.Take(extension, 2))
        {
            var set = NativeRenditionMaker.Create(file, Request(1024, 256, 64));
            Assert.Equal(3, set.Renditions.Count);
            Assert.False(set.AvifMissing);
            foreach (var (rendition, side) in set.Renditions.Zip([1024, 256, 64]))
            {
                var expected = Expected(set.Source, side);
                Assert.Equal(expected, (rendition.Width, rendition.Height));
                var formats = set.Source.HasAlpha ? All : All.Where(f => f != NativeRenditionFormat.Png).ToArray();
                Assert.Equal(formats.Order(), rendition.Files.Keys.Order());
                foreach (var (format, bytes) in rendition.Files)
                {
                    var size = format == NativeRenditionFormat.Avif ? RenditionFiles.AvifSize(bytes) : Image.Identify(bytes) is { } info ? (info.Width, info.Height) : default;
                    Assert.True(expected == size, $"{Path.GetFileName(file)} {side} {format}: {size}, expected {expected}");
                }

                output.WriteLine($"{Path.GetFileName(file)} {side}: {rendition.Width}x{rendition.Height} " +
                    string.Join(", ", rendition.Files.Select(f => $"{Name(f.Key)} {f.Value.Length / 1024.0:F1} KB {rendition.EncodeTimes[f.Key].TotalMilliseconds:F1} ms")));
            }

            // The smallest decodes to pixels in every format (AVIF through libheif).
            foreach (var (format, bytes) in set.Renditions[2].Files)
            {
                using var decoded = await RenditionFiles.DecodeAsync(bytes, Name(format));
                Assert.Equal((set.Renditions[2].Width, set.Renditions[2].Height), (decoded.Width, decoded.Height));
            }
        }
    }

    [Fact]
    public void TheThumbnailJpegIsTodaysThumbnailByteForByte_FR8_2()
    {
        foreach (var file in photos.Take(".jpg", 3).Concat(photos.Take(".png", 2)).Concat(photos.Take(".webp", 2)).Append(alpha.Logo))
        {
            var thumbnail = NativeThumbnailer.CreateThumbnail(file, Limits);
            var set = NativeRenditionMaker.Create(file, Request(256));
            Assert.True(thumbnail.Data.AsSpan().SequenceEqual(set.Renditions[0].Files[NativeRenditionFormat.Jpeg]), $"{Path.GetFileName(file)}: the thumbnail JPEG changed");
        }
    }

    [Fact]
    public async Task AlphaIsKeptInWebpAvifAndPngAndJpegIsFlattenedOnWhite_FR8_2()
    {
        var set = NativeRenditionMaker.Create(alpha.Logo, Request(512, 256));
        Assert.True(set.Source.HasAlpha);
        foreach (var rendition in set.Renditions)
        {
            using var png = Image.Load<Rgba32>(rendition.Files[NativeRenditionFormat.Png]);
            var transparent = new List<Point>();
            var opaque = new List<Point>();
            png.ProcessPixelRows(rows =>
            {
                for (var y = 0; y < rows.Height; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (var x = 0; x < row.Length; x++)
                    {
                        (row[x].A == 0 ? transparent : row[x].A == 255 ? opaque : []).Add(new Point(x, y));
                    }
                }
            });
            output.WriteLine($"{rendition.Width}x{rendition.Height}: {transparent.Count} transparent, {opaque.Count} opaque pixels in the PNG");
            Assert.True(transparent.Count > rendition.Width * rendition.Height / 4, "the logo's surroundings are transparent");
            Assert.True(opaque.Count > 20, "the logo's core is opaque (its glow is not)");

            foreach (var format in new[] { NativeRenditionFormat.Webp, NativeRenditionFormat.Avif })
            {
                using var decoded = await RenditionFiles.DecodeAsync(rendition.Files[format], Name(format));
                var clear = transparent.Count(p => decoded[p.X, p.Y].A <= 8);
                var solid = opaque.Count(p => decoded[p.X, p.Y].A >= 247);
                output.WriteLine($"  {format}: {clear} of {transparent.Count} transparent, {solid} of {opaque.Count} opaque");
                Assert.True(clear >= transparent.Count * 0.99, $"{format} lost the transparency");
                Assert.True(solid >= opaque.Count * 0.99, $"{format} lost the opacity");
            }

            using var jpeg = Image.Load<Rgba32>(rendition.Files[NativeRenditionFormat.Jpeg]);
            var white = transparent.Count(p => jpeg[p.X, p.Y] is { R: >= 245, G: >= 245, B: >= 245 });
            Assert.True(white >= transparent.Count * 0.99, $"the JPEG is white where the image is transparent: {white} of {transparent.Count}");
        }
    }

    /// <summary>A colourful real image re-encoded in Display P3 (vips, lcms2): converted back, it must match vips's sRGB thumbnail; left unconverted it would not.</summary>
    [Theory]
    [InlineData("calla.png")]
    [InlineData("fluent-color.png")]
    public async Task AWideGamutImageComesOutInSrgb_FR8_1(string source)
    {
        var work = Directory.CreateTempSubdirectory("images-p3-");
        try
        {
            var p3 = Path.Combine(work.FullName, "p3.jpg");
            var reference = Path.Combine(work.FullName, "reference.png");
            var profile = RepositoryFiles.PathOf("Images.Tests", "Native", "TestData", "display-p3.icc");
            var file = photos.Files.Single(f => Path.GetFileName(f) == source);
            await Vips("icc_transform", file, p3 + "[Q=95]", profile, "--input-profile", "srgb");
            await Vips("thumbnail", p3, reference, "256", "--export-profile", "srgb");
            using var expected = Image.Load<Rgb24>(reference);

            var set = NativeRenditionMaker.Create(p3, Request(256));
            Assert.Equal(NativeColour.Converted, set.Colour);
            var unconverted = NativeThumbnailer.CreateThumbnail(p3, Limits);
            using (var raw = Image.Load<Rgb24>(unconverted.Data))
            {
                var rawPsnr = TestImages.Psnr(raw, expected);
                output.WriteLine($"{source} unconverted: {rawPsnr:F1} dB");
                foreach (var (format, bytes) in set.Renditions[0].Files)
                {
                    using var decoded = (await RenditionFiles.DecodeAsync(bytes, Name(format))).CloneAs<Rgb24>();
                    var psnr = TestImages.Psnr(decoded, expected);
                    output.WriteLine($"{source} {format}: {psnr:F1} dB against vips's sRGB");
                    Assert.True(psnr >= (format == NativeRenditionFormat.Jpeg ? 36 : 32), $"{format}: {psnr:F1} dB");
                    Assert.True(psnr >= rawPsnr + 3, $"{format}: {psnr:F1} dB is not clearly better than the unconverted {rawPsnr:F1} dB");
                }
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public void NoExifGpsXmpOrIccIsLeftInAnyRendition_FR8_1()
    {
        var profile = File.ReadAllBytes(RepositoryFiles.PathOf("Images.Tests", "Native", "TestData", "display-p3.icc"));
        var photo = RenditionFiles.JpegWithMetadata(File.ReadAllBytes(photos.Take(".jpg", 1)[0]), profile);
        Assert.NotEmpty(RenditionFiles.MetadataBlocks(photo, "jpeg")); // the check sees them in the source
        Assert.Contains("GPS bytes", RenditionFiles.MetadataBlocks(photo, "jpeg"));

        var set = NativeRenditionMaker.Create(photo, Request(1024, 256));
        Assert.Equal(6, set.Source.Orientation);
        Assert.Equal(NativeColour.Converted, set.Colour);
        var logo = NativeRenditionMaker.Create(alpha.Logo, Request(256));
        foreach (var rendition in set.Renditions.Concat(logo.Renditions))
        {
            foreach (var (format, bytes) in rendition.Files)
            {
                var blocks = RenditionFiles.MetadataBlocks(bytes, Name(format));
                Assert.True(blocks.Count == 0, $"{format} {rendition.Width}x{rendition.Height} carries {string.Join(", ", blocks)}");
            }
        }

        // Orientation 6 was applied: the landscape photo is portrait.
        Assert.True(set.Renditions[0].Height > set.Renditions[0].Width);
    }

    [Fact]
    public void RenditionsHonourTheMemoryBudgetAndCancellation_NFR8()
    {
        var file = photos.Take(".png", 1)[0];
        var plan = NativeRenditionMaker.Plan(file, Request(1024, 256));
        var thumbnailPlan = NativeThumbnailer.Plan(file, Limits);
        output.WriteLine($"{Path.GetFileName(file)}: renditions plan {plan.MemoryBytes / 1048576.0:F1} MiB, thumbnail plan {thumbnailPlan.MemoryBytes / 1048576.0:F1} MiB");
        Assert.True(plan.MemoryBytes > thumbnailPlan.MemoryBytes, "the renditions plan counts the larger sizes and the encoders");

        var tight = new NativeRenditionsRequest([1024, 256], All, Limits with { MaxMemoryBytes = plan.MemoryBytes - 1 });
        var over = Assert.Throws<NativeImageException>(() => NativeRenditionMaker.Create(file, tight));
        Assert.Equal(NativeStatus.OverBudget, over.Status);
        Assert.Contains("MiB", over.Message, StringComparison.Ordinal);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var stopped = Assert.Throws<NativeImageException>(() => NativeRenditionMaker.Create(file, Request(1024, 256), cancelled.Token));
        Assert.Equal(NativeStatus.Cancelled, stopped.Status);
    }

    private static async Task Vips(params string[] arguments)
    {
        var run = await RepositoryFiles.RunAsync("vips", arguments, TimeSpan.FromSeconds(120));
        Assert.True(run.ExitCode == 0, $"vips {string.Join(' ', arguments)}: {run.Error}");
    }
}
