using Images.Application.Common;
using Images.Infrastructure.Processing;
using Images.Native;
using Images.Tests.Support;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;
using ImageFormat = Images.Domain.Images.ImageFormat;

namespace Images.Tests.Native;

/// <summary>
/// NFR-4 on real images from Debian packages (photos, artwork, WebP wallpapers): the native and
/// the ImageSharp thumbnails have the same size and agree within 30 dB PSNR.
/// </summary>
public class RealPhotoTests(DebianPhotos photos, ITestOutputHelper output) : IClassFixture<DebianPhotos>
{
    private static readonly IOptions<ProcessingOptions> Settings = Options.Create(new ProcessingOptions());

    [Theory]
    [InlineData(".jpg", 5)]
    [InlineData(".png", 3)]
    [InlineData(".webp", 3)]
    public async Task NativeAndManagedThumbnailsOfRealImagesAgree_NFR4(string extension, int count)
    {
        var files = photos.Take(extension, count);
        foreach (var file in files)
        {
            var native = NativeThumbnailer.CreateThumbnail(file, new NativeThumbnailRequest(256, 85, Settings.Value.MaxImagePixels, 0, 0));

            await using var source = File.OpenRead(file);
            using var managed = new MemoryStream();
            var format = extension switch { ".jpg" => ImageFormat.Jpeg, ".png" => ImageFormat.Png, _ => ImageFormat.Webp };
            await new ImageSharpImageProcessor(Settings).CreateThumbnailAsync(source, format, managed, CancellationToken.None);

            using var a = Image.Load<Rgb24>(native.Data);
            using var b = Image.Load<Rgb24>(managed.ToArray());
            var psnr = TestImages.Psnr(a, b);
            output.WriteLine($"{Path.GetFileName(file)}: {native.Source.Width}x{native.Source.Height} -> {a.Width}x{a.Height}, PSNR {psnr:F1} dB");
            Assert.Equal((b.Width, b.Height), (a.Width, a.Height));
            Assert.Equal(256, Math.Max(a.Width, a.Height));
            Assert.True(psnr >= 30, $"{file}: PSNR {psnr:F1} dB");
        }
    }

    [Fact]
    public void EveryRealImagePlansARealisticFigureUnderTheDefaultBudget_NFR8()
    {
        // 4-17 MP photos, artwork and wallpapers, thumbnails made while the rows stream in: a few MiB
        // each (the most: a progressive JPEG at 1/8, whose stream is copied without its AC scans),
        // except the 8-bit RGB(A) PNGs of up to 64 MiB of inflated rows, which libdeflate inflates
        // whole (png_idat.c, ADR 9): their rows and stream on top.
        var request = new NativeThumbnailRequest(256, 85, Settings.Value.MaxImagePixels, MaxMemoryBytes: 512L * 1024 * 1024, MaxDimension: 65535);
        var files = photos.Files.Where(f => Path.GetExtension(f).ToLowerInvariant() is ".jpg" or ".png" or ".webp").ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var plan = NativeThumbnailer.Plan(file, request);
            var thumbnail = NativeThumbnailer.CreateThumbnail(file, request);
            output.WriteLine($"{Path.GetFileName(file)}: {plan.Format} {plan.Width}x{plan.Height}, {new FileInfo(file).Length / 1024} KB, plan {plan.MemoryBytes / 1024.0 / 1024:F2} MiB");
            Assert.Equal(plan, thumbnail.Source);
            Assert.Equal(1, plan.Frames);
            var inflatedWhole = plan.Format == "PNG" ? Math.Min(64L << 20, (long)plan.Height * (1 + (plan.Width * 4))) : 0;
            Assert.InRange(plan.MemoryBytes, 256 * 1024, 2 * new FileInfo(file).Length + (16 << 20) + inflatedWhole);
        }
    }

    [Fact]
    public void ProgressiveJpegsAtOneEighthScaleDecodeFromTheirDcScansAlone_NFR4()
    {
        // At 1/8 scale only DC coefficients are used, so leaving a progressive file's AC scans
        // out must give the very same bytes as decoding every scan, whether libjpeg or the
        // library's own DC-scan decoder decodes what is left.
        var progressive = photos.Files.Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) && TestImages.IsProgressiveJpeg(File.ReadAllBytes(f))).ToList();
        Assert.NotEmpty(progressive);
        foreach (var file in progressive)
        {
            var shortcut = NativeThumbnailer.CreateThumbnail(file, new NativeThumbnailRequest(256, 80, Settings.Value.MaxImagePixels, 0, 0));
            var full = NativeThumbnailer.CreateThumbnail(file, new NativeThumbnailRequest(256, 80, Settings.Value.MaxImagePixels, 0, 0, NativeOutput.Jpeg, NativeDecodeOptions.FullDecode));
            var libjpeg = NativeThumbnailer.CreateThumbnail(file, new NativeThumbnailRequest(256, 80, Settings.Value.MaxImagePixels, 0, 0, NativeOutput.Jpeg, NativeDecodeOptions.LibjpegOnly));
            output.WriteLine($"{Path.GetFileName(file)}: {shortcut.Source.Width}x{shortcut.Source.Height}, {shortcut.Data.Length} bytes every way");
            Assert.Equal(full.Data, shortcut.Data);
            Assert.Equal(full.Data, libjpeg.Data);
        }
    }

    [Theory]
    [InlineData(0.02)]
    [InlineData(0.5)]
    [InlineData(0.97)]
    public void ATruncatedProgressiveJpegIsStillRejected_NFR7(double kept)
    {
        var file = photos.Files.First(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) && TestImages.IsProgressiveJpeg(File.ReadAllBytes(f)));
        var bytes = File.ReadAllBytes(file);
        var truncated = bytes[..(int)(bytes.Length * kept)];
        var ex = Assert.Throws<NativeImageException>(() => NativeThumbnailer.CreateThumbnail(truncated, new NativeThumbnailRequest(256, 80, Settings.Value.MaxImagePixels, 0, 0)));
        Assert.Equal(NativeStatus.Invalid, ex.Status);
    }
}
