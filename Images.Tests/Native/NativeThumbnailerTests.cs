using System.Security.Cryptography;
using Images.Application.Common;
using ImageFormat = Images.Domain.Images.ImageFormat;
using Images.Infrastructure.Processing;
using Images.Native;
using Images.Tests.Support;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace Images.Tests.Native;

/// <summary>NFR-4: the native fast path against the managed processor, on real files of each format.</summary>
public class NativeThumbnailerTests(ITestOutputHelper output)
{
    private const long Limit = 100_000_000;

    private static readonly IOptions<ProcessingOptions> Settings = Options.Create(new ProcessingOptions());

    private static async Task<byte[]> ManagedAsync(byte[] original, ImageFormat format)
    {
        using var thumbnail = new MemoryStream();
        await new ImageSharpImageProcessor(Settings).CreateThumbnailAsync(new MemoryStream(original), format, thumbnail, CancellationToken.None);
        return thumbnail.ToArray();
    }

    [Fact]
    public void TheLibraryIsLoadedAndItsVersionChecked()
    {
        Assert.True(NativeThumbnailer.IsAvailable, NativeThumbnailer.Status);
        Assert.Contains("version 8", NativeThumbnailer.Status, StringComparison.Ordinal);
    }

    public static TheoryData<string, ImageFormat, int, int> Photos => new()
    {
        { "jpeg", ImageFormat.Jpeg, 3000, 2000 },
        { "jpeg", ImageFormat.Jpeg, 257, 130 },
        { "png", ImageFormat.Png, 1600, 1200 },
        { "webp", ImageFormat.Webp, 2048, 1536 },
        { "jpeg", ImageFormat.Jpeg, 180, 120 },
    };

    [Theory]
    [MemberData(nameof(Photos))]
    public async Task NativeAndManagedThumbnailsAgree_NFR4(string kind, ImageFormat format, int width, int height)
    {
        var original = kind switch
        {
            "jpeg" => TestImages.Jpeg(width, height, seed: 61),
            "png" => TestImages.Png(width, height, seed: 62),
            _ => TestImages.Webp(width, height, seed: 63),
        };

        var native = NativeThumbnailer.CreateThumbnail(original, new NativeThumbnailRequest(256, 85, Limit, 0, 0));
        var psnr = TestImages.Psnr(native.Data, await ManagedAsync(original, format));
        output.WriteLine($"{kind} {width}x{height}: native {native.Width}x{native.Height}, PSNR {psnr:F1} dB");

        Assert.Equal((width, height), (native.Source.Width, native.Source.Height));
        Assert.True(psnr >= 30, $"PSNR {psnr:F1} dB");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public async Task AllEightExifOrientationsAreApplied_NFR4(ushort orientation)
    {
        var original = TestImages.Jpeg(900, 500, orientation, seed: 64);
        var native = NativeThumbnailer.CreateThumbnail(original, new NativeThumbnailRequest(256, 90, Limit, 0, 0));
        Assert.Equal(orientation, native.Source.Orientation);
        Assert.Equal(orientation >= 5 ? (142, 256) : (256, 142), (native.Width, native.Height));
        Assert.True(TestImages.Psnr(native.Data, await ManagedAsync(original, ImageFormat.Jpeg)) >= 30);
    }

    [Fact]
    public void AlphaIsKeptInWebpOutputAndFlattenedInJpeg_NFR4()
    {
        var png = TestImages.Png(600, 300, alpha: true, seed: 65);
        var webp = NativeThumbnailer.CreateThumbnail(png, new NativeThumbnailRequest(256, 90, Limit, 0, 0, NativeOutput.Webp));
        Assert.True(webp.Source.HasAlpha);
        Assert.Equal(4, webp.Source.Channels);
        using (var decoded = Image.Load<Rgba32>(webp.Data))
        {
            Assert.True(decoded[2, 60].A < 40, "the transparent left edge stays transparent");
            Assert.True(decoded[253, 60].A > 215, "the opaque right edge stays opaque");
        }

        var jpeg = NativeThumbnailer.CreateThumbnail(png, new NativeThumbnailRequest(256, 90, Limit, 0, 0));
        using var flat = Image.Load<Rgb24>(jpeg.Data);
        Assert.True(flat[0, 60].R > 235 && flat[0, 60].G > 235 && flat[0, 60].B > 235, "transparent pixels become white");
    }

    [Fact]
    public void GreyscaleJpegStaysOneChannel()
    {
        using var grey = new Image<L8>(640, 480);
        grey.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    row[x] = new L8((byte)(x * 255 / 639));
                }
            }
        });
        using var stream = new MemoryStream();
        grey.SaveAsJpeg(stream, new JpegEncoder { ColorType = JpegColorType.Luminance });

        var native = NativeThumbnailer.CreateThumbnail(stream.ToArray(), new NativeThumbnailRequest(256, 85, Limit, 0, 0));
        Assert.Equal(1, native.Source.Channels);
        Assert.Equal((256, 192), (native.Width, native.Height));
    }

    [Theory]
    [InlineData("2x2", null)]  // 4:2:0: libjpeg reads chroma AC (2x2 DCT); the DC decoder does not
    [InlineData("1x1", null)]  // 4:4:4: DC scans only, byte-identical everywhere
    [InlineData("2x1", null)]  // 4:2:2: chroma replicated across two pixels
    [InlineData("1x2", null)]  // 4:4:0
    [InlineData("grey", null)]
    [InlineData("1x1", "1")]   // a restart marker every MCU row
    [InlineData("2x1", "5B")]  // ... every 5 MCUs
    [InlineData("grey", "3B")]
    public async Task AProgressiveJpegGivesTheSameThumbnailAsItsBaselineOriginal_NFR4(string sampling, string? restartInterval)
    {
        // jpegtran rewrites the file as progressive (with restart markers every N MCU rows or N
        // blocks) without touching its DCT coefficients, so the 1/8-scale thumbnail must not
        // change: not with every scan decoded, not with libjpeg decoding only the scans 1/8 reads,
        // and not with the library's own DC-scan decoder (the default). The one exception is the
        // DC decoder on 4:2:0, whose chroma libjpeg-turbo scales through a 2x2 inverse DCT of AC
        // coefficients the DC decoder leaves out: there it must stay within 38 dB.
        var baseline = await TestImages.CjpegAsync(2400, 1600, 74, sampling == "grey" ? ["-quality", "85", "-grayscale"] : ["-quality", "85", "-sample", sampling]);
        var progressive = await TestImages.ProgressiveAsync(baseline, restartInterval);
        Assert.True(TestImages.IsProgressiveJpeg(progressive) && !TestImages.IsProgressiveJpeg(baseline));

        var expected = NativeThumbnailer.CreateThumbnail(baseline, new NativeThumbnailRequest(256, 80, Limit, 0, 0));
        Assert.Equal((256, 171), (expected.Width, expected.Height));
        foreach (var options in new[] { NativeDecodeOptions.LibjpegOnly, NativeDecodeOptions.FullDecode })
        {
            Assert.Equal(expected.Data, NativeThumbnailer.CreateThumbnail(progressive, new NativeThumbnailRequest(256, 80, Limit, 0, 0, NativeOutput.Jpeg, options)).Data);
        }

        var dcDecoder = NativeThumbnailer.CreateThumbnail(progressive, new NativeThumbnailRequest(256, 80, Limit, 0, 0));
        if (sampling == "2x2")
        {
            var psnr = TestImages.Psnr(expected.Data, dcDecoder.Data);
            output.WriteLine($"4:2:0 through the DC decoder: PSNR {psnr:F1} dB against every scan decoded");
            Assert.True(psnr >= 38, $"PSNR {psnr:F1} dB");
        }
        else
        {
            Assert.Equal(expected.Data, dcDecoder.Data);
        }
    }

    public static TheoryData<string> Hostile => ["bomb", "truncated-jpeg", "truncated-png", "garbage-after-magic", "empty-webp"];

    [Theory]
    [MemberData(nameof(Hostile))]
    public void HostileInputsGiveACleanErrorNotACrash_NFR7(string kind)
    {
        var (bytes, expected) = kind switch
        {
            "bomb" => (TestImages.PngClaimingGigapixel(), NativeStatus.TooLarge),
            "truncated-jpeg" => (TestImages.TruncatedJpeg(), NativeStatus.Invalid),
            "truncated-png" => (TestImages.TruncatedPng(), NativeStatus.Invalid),
            "garbage-after-magic" => (new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0x13, 0x37, 0, 0, 0x42 }, NativeStatus.Invalid),
            _ => ("RIFF\x04\0\0\0WEBPVP8 "u8.ToArray(), NativeStatus.Invalid),
        };

        var ex = Assert.Throws<NativeImageException>(() => NativeThumbnailer.CreateThumbnail(bytes, new NativeThumbnailRequest(256, 85, Limit, 0, 0)));
        Assert.Equal(expected, ex.Status);
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }

    [Fact]
    public void RandomCorruptionsOfRealFilesNeverCrashTheProcess_NFR7()
    {
        var random = new Random(66);
        var originals = new[] { TestImages.Jpeg(300, 200, seed: 67), TestImages.Png(300, 200, seed: 68), TestImages.Webp(300, 200, seed: 69) };
        var outcomes = new Dictionary<NativeStatus, int>();
        for (var i = 0; i < 300; i++)
        {
            var bytes = (byte[])originals[i % 3].Clone();
            for (var flips = 0; flips < 1 + (i % 8); flips++)
            {
                bytes[16 + random.Next(bytes.Length - 16)] = (byte)random.Next(256);
            }

            if (i % 5 == 0)
            {
                bytes = bytes[..random.Next(16, bytes.Length)];
            }

            try
            {
                NativeThumbnailer.CreateThumbnail(bytes, new NativeThumbnailRequest(128, 80, Limit, 0, 0));
                outcomes[NativeStatus.Ok] = outcomes.GetValueOrDefault(NativeStatus.Ok) + 1;
            }
            catch (NativeImageException ex)
            {
                outcomes[ex.Status] = outcomes.GetValueOrDefault(ex.Status) + 1;
            }
        }

        output.WriteLine(string.Join(", ", outcomes.Select(o => $"{o.Key}: {o.Value}")));
        Assert.DoesNotContain(NativeStatus.NoMemory, outcomes.Keys);
        Assert.True(outcomes.GetValueOrDefault(NativeStatus.Invalid) > 0);
    }

    [Fact]
    public async Task UnsupportedFeaturesAndTheSwitchFallBackToTheManagedPath_NFR4()
    {
        // An interlaced PNG is left to ImageSharp by the native path.
        using var image = TestImages.Decode(TestImages.Png(500, 400, seed: 70));
        using var interlaced = new MemoryStream();
        image.SaveAsPng(interlaced, new PngEncoder { InterlaceMethod = PngInterlaceMode.Adam7 });
        var bytes = interlaced.ToArray();
        Assert.Equal(NativeStatus.Unsupported, Assert.Throws<NativeImageException>(() => NativeThumbnailer.CreateThumbnail(bytes, new NativeThumbnailRequest(256, 85, Limit, 0, 0))).Status);

        var managed = await ManagedAsync(bytes, ImageFormat.Png);
        Assert.Equal(managed, await CompositeAsync(bytes, ImageFormat.Png, nativeEnabled: true));

        // IMG_NATIVE_PROCESSING=false: even a plain JPEG goes through ImageSharp.
        var jpeg = TestImages.Jpeg(640, 480, seed: 71);
        Assert.Equal(await ManagedAsync(jpeg, ImageFormat.Jpeg), await CompositeAsync(jpeg, ImageFormat.Jpeg, nativeEnabled: false));
        Assert.NotEqual(await ManagedAsync(jpeg, ImageFormat.Jpeg), await CompositeAsync(jpeg, ImageFormat.Jpeg, nativeEnabled: true));

        // TIFF goes through the library too (NativeTiffTests), unless switched off.
        var tiff = TestImages.Tiff(300, 200, seed: 72);
        Assert.Equal(await ManagedAsync(tiff, ImageFormat.Tiff), await CompositeAsync(tiff, ImageFormat.Tiff, nativeEnabled: false));
        Assert.NotEqual(await ManagedAsync(tiff, ImageFormat.Tiff), await CompositeAsync(tiff, ImageFormat.Tiff, nativeEnabled: true));
    }

    [Fact]
    public async Task TheFilePathIsUsedForFileStreams()
    {
        var path = Path.Combine(Path.GetTempPath(), "images-native-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)));
        await File.WriteAllBytesAsync(path, TestImages.Jpeg(1200, 900, seed: 73));
        try
        {
            await using var file = File.OpenRead(path);
            using var thumbnail = new MemoryStream();
            var metadata = await new NativeImageProcessor(Settings).CreateThumbnailAsync(file, ImageFormat.Jpeg, thumbnail, CancellationToken.None);
            Assert.Equal((1200, 900, 3, false), (metadata.Width, metadata.Height, metadata.Channels, metadata.HasAlpha));
            Assert.Equal(1200, NativeThumbnailer.Probe(path).Width);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<byte[]> CompositeAsync(byte[] original, ImageFormat format, bool nativeEnabled)
    {
        var processor = new CompositeImageProcessor(
            new NativeImageProcessor(Settings),
            new ImageSharpImageProcessor(Settings),
            Options.Create(new NativeProcessingOptions { Enabled = nativeEnabled }));
        using var thumbnail = new MemoryStream();
        await processor.CreateThumbnailAsync(new MemoryStream(original), format, thumbnail, CancellationToken.None);
        return thumbnail.ToArray();
    }
}
