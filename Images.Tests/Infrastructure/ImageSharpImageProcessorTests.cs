using Images.Application.Common;
using Images.Domain.Images;
using Images.Infrastructure.Processing;
using Images.Tests.Support;
using Microsoft.Extensions.Options;

namespace Images.Tests.Infrastructure;

public class ImageSharpImageProcessorTests
{
    private static ImageSharpImageProcessor Processor(long maxPixels = 100_000_000, int max = 256) =>
        new(Options.Create(new ProcessingOptions { MaxImagePixels = maxPixels, ThumbnailMaxSize = max }));

    private static async Task<(ImageMetadata Metadata, byte[] Thumbnail)> RunAsync(byte[] original, ImageFormat format, ImageSharpImageProcessor? processor = null)
    {
        using var thumbnail = new MemoryStream();
        var metadata = await (processor ?? Processor()).CreateThumbnailAsync(new MemoryStream(original), format, thumbnail, CancellationToken.None);
        return (metadata, thumbnail.ToArray());
    }

    public static TheoryData<string, ImageFormat> Formats => new()
    {
        { "jpeg", ImageFormat.Jpeg },
        { "png", ImageFormat.Png },
        { "webp", ImageFormat.Webp },
        { "tiff", ImageFormat.Tiff },
    };

    private static byte[] Make(string kind, int width, int height) => kind switch
    {
        "jpeg" => TestImages.Jpeg(width, height),
        "png" => TestImages.Png(width, height),
        "webp" => TestImages.Webp(width, height),
        _ => TestImages.Tiff(width, height),
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task ThumbnailKeepsAspectWithLongestSide256AndReportsMetadata_FR2_1_FR2_2(string kind, ImageFormat format)
    {
        var (metadata, thumbnail) = await RunAsync(Make(kind, 1000, 600), format);

        Assert.Equal((1000, 600, format, 3, false), (metadata.Width, metadata.Height, metadata.Format, metadata.Channels, metadata.HasAlpha));
        using var decoded = TestImages.Decode(thumbnail);
        Assert.Equal((256, 154), (decoded.Width, decoded.Height));
        Assert.Equal("image/jpeg", SixLabors.ImageSharp.Image.DetectFormat(thumbnail)!.DefaultMimeType);
    }

    [Fact]
    public async Task SmallImagesAreNeverUpscaled_FR2_1()
    {
        var (_, thumbnail) = await RunAsync(TestImages.Png(120, 80), ImageFormat.Png);
        using var decoded = TestImages.Decode(thumbnail);
        Assert.Equal((120, 80), (decoded.Width, decoded.Height));
    }

    [Fact]
    public async Task ThumbnailSizeIsConfigurable()
    {
        var (_, thumbnail) = await RunAsync(TestImages.Jpeg(400, 800), ImageFormat.Jpeg, Processor(max: 100));
        using var decoded = TestImages.Decode(thumbnail);
        Assert.Equal((50, 100), (decoded.Width, decoded.Height));
    }

    [Theory]
    [InlineData(1, 256, 128)]
    [InlineData(2, 256, 128)]
    [InlineData(3, 256, 128)]
    [InlineData(4, 256, 128)]
    [InlineData(5, 128, 256)]
    [InlineData(6, 128, 256)]
    [InlineData(7, 128, 256)]
    [InlineData(8, 128, 256)]
    public async Task ExifOrientationIsApplied_FR2_1(ushort orientation, int width, int height)
    {
        var (metadata, thumbnail) = await RunAsync(TestImages.Jpeg(800, 400, orientation), ImageFormat.Jpeg);
        using var decoded = TestImages.Decode(thumbnail);
        Assert.Equal((width, height), (decoded.Width, decoded.Height));
        Assert.Equal((800, 400), (metadata.Width, metadata.Height));
    }

    [Fact]
    public async Task OrientationSixRotatesTheContentClockwise()
    {
        // The source is red on the left (x gradient); rotated 90 degrees clockwise, red ends up on top.
        var (_, thumbnail) = await RunAsync(TestImages.Jpeg(800, 400, 6), ImageFormat.Jpeg);
        using var decoded = TestImages.Decode(thumbnail);
        Assert.True(decoded[64, 5].R < decoded[64, 250].R, "the left edge (dark red) must become the top edge");
    }

    [Fact]
    public async Task AlphaIsReportedAndFlattenedOntoWhite_FR2_2()
    {
        var (metadata, thumbnail) = await RunAsync(TestImages.Png(400, 200, alpha: true), ImageFormat.Png);
        Assert.Equal((4, true), (metadata.Channels, metadata.HasAlpha));
        using var decoded = TestImages.Decode(thumbnail);
        Assert.True(decoded[0, 64].R > 240 && decoded[0, 64].G > 240 && decoded[0, 64].B > 240, "fully transparent pixels become white");
    }

    [Fact]
    public async Task PixelLimitIsCheckedOnTheHeaderBeforeDecoding_NFR7()
    {
        var ex = await Assert.ThrowsAsync<ImageProcessingException>(() => RunAsync(TestImages.PngClaimingGigapixel(), ImageFormat.Png));
        Assert.Contains("over the limit", ex.Message, StringComparison.Ordinal);

        var limited = await Assert.ThrowsAsync<ImageProcessingException>(() => RunAsync(TestImages.Jpeg(200, 200), ImageFormat.Jpeg, Processor(maxPixels: 39_999)));
        Assert.Contains("40000 pixels", limited.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> HostileInputs => ["truncated-jpeg", "truncated-png", "tiff-zero", "tiff-overflow", "garbage-after-magic"];

    [Theory]
    [MemberData(nameof(HostileInputs))]
    public async Task HostileInputsGiveAProcessingErrorNotACrash_NFR7(string kind)
    {
        var (bytes, format) = kind switch
        {
            "truncated-jpeg" => (TestImages.TruncatedJpeg(), ImageFormat.Jpeg),
            "truncated-png" => (TestImages.TruncatedPng(), ImageFormat.Png),
            "tiff-zero" => (TestImages.TiffWithDimensions(0, 0), ImageFormat.Tiff),
            "tiff-overflow" => (TestImages.TiffWithDimensions(uint.MaxValue, uint.MaxValue), ImageFormat.Tiff),
            _ => ([0xFF, 0xD8, 0xFF, 0xE0, 0x13, 0x37, 0x00, 0x00, 0x42], ImageFormat.Jpeg),
        };

        var ex = await Assert.ThrowsAsync<ImageProcessingException>(() => RunAsync(bytes, format));
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }

    [Fact]
    public async Task OnlyTheFirstPageOfAMultiPageTiffIsPlannedAndDecoded_NFR8()
    {
        // Pages 2-20 claim 5000 x 5000 pixels each and hold none: decoding them would fail (or, were
        // they real, take 20 x 100 MB).
        var tiff = TestImages.TiffWithPages(TestImages.Tiff(600, 400), extraPages: 19, 5000, 5000);
        var processor = Processor();

        var plan = await processor.PlanAsync(new MemoryStream(tiff), ImageFormat.Tiff, CancellationToken.None);
        var (metadata, thumbnail) = await RunAsync(tiff, ImageFormat.Tiff, processor);

        Assert.Equal((600, 400, 20), (plan.Width, plan.Height, plan.Frames));
        Assert.InRange(plan.MemoryBytes, 600 * 400 * 4, 64L * 1024 * 1024);
        Assert.Equal((600, 400), (metadata.Width, metadata.Height));
        using var decoded = TestImages.Decode(thumbnail);
        Assert.Equal((256, 171), (decoded.Width, decoded.Height));
    }

    [Fact]
    public async Task ATiffWhoseIfdsLinkInALoopIsReadOnce_NFR7()
    {
        var tiff = TestImages.TiffWithPages(TestImages.Tiff(300, 200), extraPages: 0, 0, 0, loop: true);
        var processor = Processor();

        var plan = await processor.PlanAsync(new MemoryStream(tiff), ImageFormat.Tiff, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        var (metadata, _) = await RunAsync(tiff, ImageFormat.Tiff, processor).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, plan.Frames);
        Assert.Equal((300, 200), (metadata.Width, metadata.Height));
    }

    [Fact]
    public async Task ThePlanCountsTheDecodedImageAndItsRotatedCopy_NFR8()
    {
        var upright = await Processor().PlanAsync(new MemoryStream(TestImages.Jpeg(2000, 1000)), ImageFormat.Jpeg, CancellationToken.None);
        var rotated = await Processor().PlanAsync(new MemoryStream(TestImages.Jpeg(2000, 1000, orientation: 6)), ImageFormat.Jpeg, CancellationToken.None);

        Assert.Equal((2000, 1000, 1), (upright.Width, upright.Height, upright.Frames));
        Assert.InRange(upright.MemoryBytes, 2000L * 1000 * 4, 2000L * 1000 * 16);
        Assert.Equal(2000L * 1000 * 4, rotated.MemoryBytes - upright.MemoryBytes, tolerance: 64 * 1024);
    }

    [Fact]
    public async Task ACancelledDecodeStops_NFR8()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Processor().CreateThumbnailAsync(new MemoryStream(TestImages.Png(800, 600)), ImageFormat.Png, new MemoryStream(), cancelled.Token));
    }

    [Fact]
    public async Task APngsOrientationComesFromItsExifChunkThoughItsMetadataIsNotRead_FR2_1_NFR8()
    {
        // Big-endian EXIF: IFD0 with one entry, Orientation = 6 (rotate 90 clockwise). The zTXt chunk
        // beside it would inflate to 64 MB if it were read (HostileFileTests measures that it is not).
        byte[] exif = [.. "MM"u8, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0];
        var png = HostileImages.Png(800, 400, beforeImageData: [("eXIf", exif), ("zTXt", [.. "Comment"u8, 0, 0, .. HostileImages.Zeros(64L << 20)])]);

        var plan = await Processor().PlanAsync(new MemoryStream(png), ImageFormat.Png, CancellationToken.None);
        var (metadata, thumbnail) = await RunAsync(png, ImageFormat.Png);

        using var decoded = TestImages.Decode(thumbnail);
        Assert.Equal((128, 256), (decoded.Width, decoded.Height));
        Assert.Equal((800, 400), (metadata.Width, metadata.Height));
        Assert.True(plan.MemoryBytes > 2 * 800 * 400 * 4, "the rotated copy is counted");
    }
}
