using Images.Application.Common;
using Images.Infrastructure.Processing;
using Images.Native;
using Images.Tests.Support;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;
using ImageFormat = Images.Domain.Images.ImageFormat;
using Kind = Images.Tests.Support.TiffFiles.Kind;
using Layout = Images.Tests.Support.TiffFiles.Layout;

namespace Images.Tests.Native;

/// <summary>
/// NFR-4 for TIFF: libimages_native decodes the first page of the TIFFs that writers make (strips
/// and tiles, every usual compression, 1 to 16 bits, grey, palette, RGB, CMYK, YCbCr, alpha, the
/// orientation tag) and agrees with the managed path on geometry, orientation and pixels; what it
/// leaves aside goes to ImageSharp. The files come from <see cref="TiffFiles"/> and tiffcp
/// (libtiff-tools, which .ci/run installs).
/// </summary>
public class NativeTiffTests(ITestOutputHelper output)
{
    private const int Width = 900;
    private const int Height = 500;
    private static readonly IOptions<ProcessingOptions> Settings = Options.Create(new ProcessingOptions());
    private static readonly NativeThumbnailRequest Request = new(256, 85, 100_000_000, 512L << 20, 65535);

    /// <summary>The variants whose pixels are the plain RGB file's: every lossless compression, tiles, planes, more pages.</summary>
    public static TheoryData<string> LosslessVariants =>
    [
        "lzw", "lzw with a predictor", "deflate", "deflate with a predictor", "packbits", "a row a strip", "one strip",
        "tiles", "lzw tiles", "one plane per sample", "planes in tiles", "two pages", "cmyk", "cmyk lzw tiles",
    ];

    [Theory]
    [MemberData(nameof(LosslessVariants))]
    public async Task EveryLosslessVariantGivesThePlainFilesThumbnail_NFR4(string variant)
    {
        var plain = TiffFiles.Photo(Width, Height, new Layout(Kind.Rgb));
        var bytes = variant switch
        {
            "lzw" => await TiffFiles.TiffcpAsync(plain, "-c", "lzw"),
            "lzw with a predictor" => await TiffFiles.TiffcpAsync(plain, "-c", "lzw:2"),
            "deflate" => await TiffFiles.TiffcpAsync(plain, "-c", "zip"),
            "deflate with a predictor" => await TiffFiles.TiffcpAsync(plain, "-c", "zip:2"),
            "packbits" => await TiffFiles.TiffcpAsync(plain, "-c", "packbits"),
            "a row a strip" => await TiffFiles.TiffcpAsync(plain, "-c", "lzw", "-r", "1"),
            "one strip" => await TiffFiles.TiffcpAsync(plain, "-c", "zip", "-r", Height.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            "tiles" => await TiffFiles.TiffcpAsync(plain, "-t", "-w", "64", "-l", "48"),
            "lzw tiles" => await TiffFiles.TiffcpAsync(plain, "-c", "lzw", "-t", "-w", "256", "-l", "256"),
            "one plane per sample" => await TiffFiles.TiffcpAsync(plain, "-p", "separate"),
            "planes in tiles" => await TiffFiles.TiffcpAsync(plain, "-p", "separate", "-c", "zip", "-t", "-w", "128", "-l", "64"),
            "two pages" => await TiffFiles.TiffcpAsync([plain, TiffFiles.Photo(300, 200, new Layout(Kind.Grey), seed: 9)], "-c", "lzw"),
            // C, M, Y the inverse of R, G, B and no black: the conversion gives the RGB back exactly.
            "cmyk" => TiffFiles.Photo(Width, Height, new Layout(Kind.Cmyk)),
            _ => await TiffFiles.TiffcpAsync(TiffFiles.Photo(Width, Height, new Layout(Kind.Cmyk)), "-c", "lzw", "-t", "-w", "128", "-l", "128"),
        };

        var expected = NativeThumbnailer.CreateThumbnail(plain, Request);
        var thumbnail = NativeThumbnailer.CreateThumbnail(bytes, Request);
        output.WriteLine($"{variant}: {bytes.Length} bytes, {thumbnail.Source.Frames} page(s), plan {thumbnail.Source.MemoryBytes / 1024} KiB");
        Assert.Equal("TIFF", thumbnail.Source.Format);
        Assert.Equal((Width, Height, 1), (thumbnail.Source.Width, thumbnail.Source.Height, thumbnail.Source.Orientation));
        Assert.Equal(variant == "two pages" ? 2 : 1, thumbnail.Source.Frames);
        Assert.Equal(expected.Data, thumbnail.Data);
    }

    /// <summary>Kinds both paths decode (ImageSharp 2.1 reads neither tiles nor CMYK).</summary>
    public static TheoryData<string> Kinds =>
    [
        "grey 8", "grey 16", "grey 4", "white is zero", "bilevel", "bilevel g4", "palette 8", "palette 4", "rgb 16",
        "rgba", "rgba associated", "rgba 16", "planes with alpha", "jpeg ycbcr", "jpeg rgb", "ycbcr 4:4:4", "ycbcr 4:2:0",
    ];

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task NativeAndManagedAgreeOnEveryKind_NFR4(string kind)
    {
        var bytes = kind switch
        {
            "grey 8" => TiffFiles.Photo(Width, Height, new Layout(Kind.Grey)),
            "grey 16" => TiffFiles.Photo(Width, Height, new Layout(Kind.Grey, Bits: 16)),
            "grey 4" => TiffFiles.Photo(Width, Height, new Layout(Kind.Grey, Bits: 4)),
            "white is zero" => TiffFiles.Photo(Width, Height, new Layout(Kind.WhiteIsZero)),
            "bilevel" => TiffFiles.Photo(Width, Height, new Layout(Kind.Grey, Bits: 1)),
            "bilevel g4" => await TiffFiles.TiffcpAsync(TiffFiles.Photo(Width, Height, new Layout(Kind.WhiteIsZero, Bits: 1)), "-c", "g4"),
            "palette 8" => TiffFiles.Photo(Width, Height, new Layout(Kind.Palette)),
            "palette 4" => await TiffFiles.TiffcpAsync(TiffFiles.Photo(Width, Height, new Layout(Kind.Palette, Bits: 4)), "-c", "packbits"),
            "rgb 16" => await TiffFiles.TiffcpAsync(TiffFiles.Photo(Width, Height, new Layout(Kind.Rgb, Bits: 16)), "-c", "zip"),
            "rgba" => TiffFiles.Photo(Width, Height, new Layout(Kind.Rgb, Alpha: true)),
            "rgba associated" => TiffFiles.Photo(Width, Height, new Layout(Kind.Rgb, Alpha: true, Associated: true)),
            "rgba 16" => TiffFiles.Photo(Width, Height, new Layout(Kind.Rgb, Bits: 16, Alpha: true)),
            "planes with alpha" => TiffFiles.Photo(Width, Height, new Layout(Kind.Rgb, Alpha: true, Planar: true)),
            "jpeg ycbcr" => await TiffFiles.TiffcpAsync(TiffFiles.Photo(Width, Height, new Layout(Kind.Rgb)), "-c", "jpeg"),
            "jpeg rgb" => await TiffFiles.TiffcpAsync(TiffFiles.Photo(Width, Height, new Layout(Kind.Rgb)), "-c", "jpeg:r"),
            "ycbcr 4:4:4" => TiffFiles.Photo(Width, Height, new Layout(Kind.YCbCr)),
            _ => TiffFiles.Photo(Width, Height, new Layout(Kind.YCbCr, Subsampling: 2)),
        };

        var native = NativeThumbnailer.CreateThumbnail(bytes, Request);
        var managed = await ManagedAsync(bytes);
        using var a = Image.Load<Rgb24>(native.Data);
        using var b = Image.Load<Rgb24>(managed);
        var psnr = TestImages.Psnr(a, b);
        output.WriteLine($"{kind}: {native.Source.Channels} channels, alpha {native.Source.HasAlpha}, {a.Width}x{a.Height}, PSNR {psnr:F1} dB against ImageSharp");
        Assert.Equal((Width, Height), (native.Source.Width, native.Source.Height));
        Assert.Equal((b.Width, b.Height), (a.Width, a.Height));
        Assert.Equal(kind.Contains("alpha", StringComparison.Ordinal) || kind.StartsWith("rgba", StringComparison.Ordinal), native.Source.HasAlpha);
        Assert.Equal(native.Source.HasAlpha, (await ManagedMetadataAsync(bytes)).HasAlpha);
        // A bilevel image reduced by two different filters differs along every edge.
        Assert.True(psnr >= (kind.StartsWith("bilevel", StringComparison.Ordinal) ? 22 : 30), $"PSNR {psnr:F1} dB");
    }

    [Fact]
    public async Task GreyWithAlphaWhichImageSharpCannotReadIsFlattenedOnWhite_NFR4()
    {
        // The same grey content as grey + alpha (which ImageSharp 2.1 refuses) and as RGB + alpha.
        using var image = TestImages.Photo(Width, Height, seed: 8);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    var grey = (byte)(((299 * row[x].R) + (587 * row[x].G) + (114 * row[x].B) + 500) / 1000);
                    row[x] = new Rgba32(grey, grey, grey, (byte)(x * 255 / (Width - 1)));
                }
            }
        });
        var greyAlpha = await TiffFiles.TiffcpAsync(TiffFiles.Write(image, new Layout(Kind.Grey, Alpha: true)), "-c", "lzw");
        var rgba = TiffFiles.Write(image, new Layout(Kind.Rgb, Alpha: true));

        var native = NativeThumbnailer.CreateThumbnail(greyAlpha, Request);
        var psnr = TestImages.Psnr(native.Data, await ManagedAsync(rgba));
        output.WriteLine($"grey + alpha: PSNR {psnr:F1} dB against ImageSharp's RGBA");
        Assert.Equal((2, true), (native.Source.Channels, native.Source.HasAlpha));
        Assert.True(psnr >= 30, $"PSNR {psnr:F1} dB");
    }

    [Theory]
    [MemberData(nameof(TestImages.RedQuadrantByOrientation), MemberType = typeof(TestImages))]
    public async Task TheOrientationTagIsAppliedOnBothPathsAsExifOrientationIs_FR2_1(ushort orientation, string redQuadrant)
    {
        // Stored 800 x 400 with the red quadrant top-left (as the JPEG test of ThumbnailOverHttpTests).
        var bytes = TiffFiles.RedCorner(800, 400, orientation);

        var native = NativeThumbnailer.CreateThumbnail(bytes, Request);
        using var nativeImage = Image.Load<Rgba32>(native.Data);
        using var managedImage = Image.Load<Rgba32>(await ManagedAsync(bytes));

        Assert.Equal(orientation, native.Source.Orientation);
        Assert.Equal(orientation >= 5 ? (128, 256) : (256, 128), (native.Width, native.Height));
        Assert.Equal(redQuadrant, TestImages.RedQuadrant(nativeImage));
        Assert.Equal((native.Width, native.Height), (managedImage.Width, managedImage.Height));
        Assert.Equal(redQuadrant, TestImages.RedQuadrant(managedImage));
    }

    [Fact]
    public async Task WhatTheLibraryLeavesAsideGoesToImageSharp_NFR4()
    {
        // 32-bit grey: ImageSharp reads it, the library does not.
        var bytes = TiffFiles.Photo(400, 300, new Layout(Kind.Grey, Bits: 32));
        var ex = Assert.Throws<NativeImageException>(() => NativeThumbnailer.CreateThumbnail(bytes, Request));
        Assert.Equal(NativeStatus.Unsupported, ex.Status);
        Assert.Contains("32 bits", ex.Message, StringComparison.Ordinal);

        var processor = new CompositeImageProcessor(new NativeImageProcessor(Settings), new ImageSharpImageProcessor(Settings), Options.Create(new NativeProcessingOptions()));
        using var thumbnail = new MemoryStream();
        var metadata = await processor.CreateThumbnailAsync(new MemoryStream(bytes), ImageFormat.Tiff, thumbnail, CancellationToken.None);
        Assert.Equal((400, 300), (metadata.Width, metadata.Height));
        Assert.Equal(await ManagedAsync(bytes), thumbnail.ToArray());
    }

    [Fact]
    public void ThePlanCountsPagesAndStaysNearTheThumbnail_NFR8()
    {
        // A 6000 x 4000 page in one Deflate strip: read a row at a time, never the 72 MB strip.
        var wide = HostileImages.Tiff(6000, 4000, pages: 3);
        var plan = NativeThumbnailer.Plan(wide, Request);
        output.WriteLine($"6000x4000, one strip of 72 MB: plan {plan.MemoryBytes / 1024} KiB, {plan.Frames} pages");
        Assert.Equal((6000, 4000, 3), (plan.Width, plan.Height, plan.Frames));
        Assert.InRange(plan.MemoryBytes, 256 * 1024, 4 << 20);
        Assert.Equal(plan, NativeThumbnailer.CreateThumbnail(wide, Request).Source);
    }

    [Fact]
    public async Task AJpegStripOfOneScanIsDecodedAndAProgressiveOneLeftToImageSharp_NFR8()
    {
        // A progressive JPEG strip would make libjpeg hold the coefficients of the whole strip,
        // which the plan does not count.
        var baseline = TiffFiles.JpegStrip(await TestImages.CjpegAsync(640, 480, 11, "-quality", "85"), 640, 480);
        var progressive = TiffFiles.JpegStrip(await TestImages.CjpegAsync(640, 480, 11, "-quality", "85", "-progressive"), 640, 480);

        var thumbnail = NativeThumbnailer.CreateThumbnail(baseline, Request);
        Assert.Equal((256, 192), (thumbnail.Width, thumbnail.Height));
        var ex = Assert.Throws<NativeImageException>(() => NativeThumbnailer.Plan(progressive, Request));
        output.WriteLine(ex.Message);
        Assert.Equal(NativeStatus.Unsupported, ex.Status);
        Assert.Contains("progressive", ex.Message, StringComparison.Ordinal);
        Assert.True(TestImages.Psnr(thumbnail.Data, await ManagedAsync(baseline)) >= 30);
    }

    [Fact]
    public void ALongDecodeStopsWhenItsTokenIsCancelled_NFR8()
    {
        // 100 MP in one Deflate strip, read a row at a time: the flag is read before every row.
        var bytes = HostileImages.Tiff(10_000, 10_000);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ex = Assert.Throws<NativeImageException>(() => NativeThumbnailer.CreateThumbnail(bytes, Request, cancellation.Token));
        output.WriteLine($"cancelled after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(NativeStatus.Cancelled, ex.Status);
        Assert.True(clock.ElapsedMilliseconds < 2000, $"{clock.ElapsedMilliseconds} ms");
    }

    public static TheoryData<string> Hostile =>
    [
        "claiming 65,535 x 65,535", "tiles declared 65,536 x 65,536", "strip past the end", "100,000,000 strips declared",
        "cut in half", "tiles cut in half", "jpeg strips cut in half", "65,535 pages", "a loop of pages", "only a header",
    ];

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task HostileTiffsEndInAStatusAndAReasonNeverACrash_NFR7(string kind)
    {
        var photo = TiffFiles.Photo(600, 400, new Layout(Kind.Rgb));
        var (bytes, expected) = kind switch
        {
            "claiming 65,535 x 65,535" => (TestImages.TiffWithDimensions(65_535, 65_535), NativeStatus.TooLarge),
            "tiles declared 65,536 x 65,536" => (HostileImages.TiledTiff(64, 64, 65_536), NativeStatus.OverBudget),
            "strip past the end" => (HostileImages.Tiff(2000, 2000, stripOffset: 0x7000_0000), NativeStatus.Invalid),
            "100,000,000 strips declared" => (HostileImages.Tiff(2000, 2000, stripCount: 100_000_000), NativeStatus.Invalid),
            "cut in half" => (Half(await TiffFiles.TiffcpAsync(photo, "-c", "lzw")), NativeStatus.Invalid),
            "tiles cut in half" => (Half(await TiffFiles.TiffcpAsync(photo, "-c", "zip", "-t", "-w", "64", "-l", "64")), NativeStatus.Invalid),
            "jpeg strips cut in half" => (Half(await TiffFiles.TiffcpAsync(photo, "-c", "jpeg")), NativeStatus.Invalid),
            "65,535 pages" => (HostileImages.Tiff(1, 1, pages: 65_535), NativeStatus.Ok),
            "a loop of pages" => (TestImages.TiffWithPages(photo, 0, 0, 0, loop: true), NativeStatus.Ok),
            _ => (photo[..8], NativeStatus.Invalid),
        };

        try
        {
            var thumbnail = NativeThumbnailer.CreateThumbnail(bytes, Request);
            output.WriteLine($"{kind}: thumbnail {thumbnail.Width}x{thumbnail.Height}, {thumbnail.Source.Frames} page(s), plan {thumbnail.Source.MemoryBytes / 1024} KiB");
            Assert.Equal(NativeStatus.Ok, expected);
            Assert.Equal(kind == "65,535 pages" ? 65_535 : 1, thumbnail.Source.Frames);
        }
        catch (NativeImageException ex)
        {
            output.WriteLine($"{kind}: {ex.Status}: {ex.Message}");
            Assert.Equal(expected, ex.Status);
            Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        }

        static byte[] Half(byte[] tiff)
        {
            // The strips or tiles come first in libtiff's files, the directory last: keep the
            // directory and lose the second half of the data.
            var cut = (byte[])tiff.Clone();
            var ifd = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(cut.AsSpan(4));
            Array.Clear(cut, ifd / 2, ifd / 2);
            return cut;
        }
    }

    private static async Task<byte[]> ManagedAsync(byte[] original)
    {
        using var thumbnail = new MemoryStream();
        await new ImageSharpImageProcessor(Settings).CreateThumbnailAsync(new MemoryStream(original), ImageFormat.Tiff, thumbnail, CancellationToken.None);
        return thumbnail.ToArray();
    }

    private static async Task<Images.Domain.Images.ImageMetadata> ManagedMetadataAsync(byte[] original)
    {
        using var thumbnail = new MemoryStream();
        return await new ImageSharpImageProcessor(Settings).CreateThumbnailAsync(new MemoryStream(original), ImageFormat.Tiff, thumbnail, CancellationToken.None);
    }
}
