using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;
using Images.Infrastructure.Insight;
using Images.Infrastructure.Processing;
using Images.Tests.Support;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xunit.Abstractions;
using Image = SixLabors.ImageSharp.Image;
using ImageFormat = Images.Domain.Images.ImageFormat;

namespace Images.Tests.Infrastructure.Insight;

/// <summary>
/// FR-9.1/FR-9.2 on real photos through the real processors: the sample comes from the renditions'
/// one decode (native library and ImageSharp), and from it the placeholder (decoded here by an
/// independent ThumbHash reader), the dominant colour and the perceptual hash. Near-duplicates are
/// made with the vips command line (resized to 50 %, recompressed at q50, re-encoded as WebP,
/// cropped by 2 %) and must be within distance 8 of their original; unrelated photos must not.
/// </summary>
public sealed class ImageInsightTests(DebianPhotos photos, ITestOutputHelper output) : IClassFixture<DebianPhotos>
{
    private static readonly IOptions<ProcessingOptions> Settings = Options.Create(new ProcessingOptions());
    private static readonly IReadOnlyList<RenditionSize> Thumbnail = [new(Rendition.Thumbnail, 256)];
    private readonly ImageAnalyser _analyser = new();

    private static ImageFormat FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => ImageFormat.Jpeg,
        ".png" => ImageFormat.Png,
        ".webp" => ImageFormat.Webp,
        _ => ImageFormat.Tiff,
    };

    private static async Task<PixelSample> SampleAsync(IImageProcessor processor, string path)
    {
        await using var file = File.OpenRead(path);
        var set = await processor.CreateRenditionsAsync(file, FormatOf(path), Thumbnail, CancellationToken.None);
        return set.Sample ?? throw new InvalidOperationException($"{processor.GetType().Name} made no sample of {path}.");
    }

    private static Task<PixelSample> NativeSampleAsync(string path) => SampleAsync(new NativeImageProcessor(Settings), path);

    private static Task<PixelSample> ManagedSampleAsync(string path) => SampleAsync(new ImageSharpImageProcessor(Settings), path);

    private async Task<ulong> PhashAsync(string path) => _analyser.Analyse(await NativeSampleAsync(path), null).PerceptualHash;

    private static async Task VipsAsync(params string[] arguments)
    {
        var vips = RepositoryFiles.FindOnPath("vips") ?? throw new InvalidOperationException("The vips command line is needed (apt-get install libvips-tools).");
        var result = await RepositoryFiles.RunAsync(vips, arguments, TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, $"vips {string.Join(' ', arguments)}: {result.Error}");
    }

    [Fact]
    public async Task ResizedRecompressedReencodedAndCroppedCopiesAreWithinDistance8AndUnrelatedPhotosAreNot_FR9_2()
    {
        var jpegs = photos.Take(".jpg", 5);
        var scratch = Directory.CreateTempSubdirectory("insight-variants-");
        try
        {
            var hashes = new Dictionary<string, ulong>();
            foreach (var original in jpegs.Take(3))
            {
                var name = Path.GetFileNameWithoutExtension(original);
                var size = Image.Identify(original);
                var (w, h) = (size.Width, size.Height);
                var variants = new Dictionary<string, string>
                {
                    ["resized 50%"] = Path.Combine(scratch.FullName, name + "-half.jpg"),
                    ["recompressed q50"] = Path.Combine(scratch.FullName, name + "-q50.jpg"),
                    ["re-encoded WebP"] = Path.Combine(scratch.FullName, name + ".webp"),
                    ["cropped 2%"] = Path.Combine(scratch.FullName, name + "-crop.jpg"),
                };
                await VipsAsync("resize", original, variants["resized 50%"], "0.5");
                await VipsAsync("copy", original, variants["recompressed q50"] + "[Q=50]");
                await VipsAsync("copy", original, variants["re-encoded WebP"] + "[Q=75]");
                await VipsAsync("crop", original, variants["cropped 2%"], $"{w / 100}", $"{h / 100}", $"{w - 2 * (w / 100)}", $"{h - 2 * (h / 100)}");

                var hash = await PhashAsync(original);
                hashes[original] = hash;
                foreach (var (kind, path) in variants)
                {
                    var distance = ImageInsight.Distance(hash, await PhashAsync(path));
                    output.WriteLine($"{name}: {kind}: distance {distance}");
                    Assert.True(distance <= 8, $"{name} {kind}: distance {distance} > 8");
                }

                // The managed fallback hashes the same picture alike: both engines' rows are comparable.
                var managed = _analyser.Analyse(await ManagedSampleAsync(original), null).PerceptualHash;
                var across = ImageInsight.Distance(hash, managed);
                output.WriteLine($"{name}: native vs managed: distance {across}");
                Assert.True(across <= 8, $"{name}: native and managed hashes {across} apart");
            }

            // Three (and more) unrelated photos: every pair is far apart.
            foreach (var other in jpegs.Skip(3).Concat(photos.Take(".webp", 2)))
            {
                hashes[other] = await PhashAsync(other);
            }

            var files = hashes.Keys.ToList();
            for (var i = 0; i < files.Count; i++)
            {
                for (var j = i + 1; j < files.Count; j++)
                {
                    var distance = ImageInsight.Distance(hashes[files[i]], hashes[files[j]]);
                    output.WriteLine($"{Path.GetFileName(files[i])} vs {Path.GetFileName(files[j])}: distance {distance}");
                    Assert.True(distance > 8, $"unrelated {files[i]} and {files[j]} within {distance}");
                }
            }
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(".jpg", 3)]
    [InlineData(".png", 2)]
    [InlineData(".webp", 2)]
    public async Task ThePlaceholderDecodesToTheImagesAspectAndAverageColour_FR9_1(string extension, int count)
    {
        foreach (var path in photos.Take(extension, count))
        {
            using var image = Image.Load<Rgba32>(path);
            image.Mutate(x => x.AutoOrient());
            var (mr, mg, mb) = Mean(image);
            var actualRatio = image.Width / (double)image.Height;
            foreach (var (engine, sample) in new[] { ("native", await NativeSampleAsync(path)), ("managed", await ManagedSampleAsync(path)) })
            {
                var insight = _analyser.Analyse(sample, null);
                var hash = Convert.FromBase64String(insight.Placeholder);
                var ratio = ThumbHashDecoder.AspectRatio(hash);
                var (r, g, b) = ThumbHashDecoder.AverageColour(hash);
                var (w, h, rgb) = ThumbHashDecoder.Decode(hash);
                output.WriteLine($"{Path.GetFileName(path)} {engine}: {hash.Length} bytes, aspect {ratio:F2} (image {actualRatio:F2}), average ({r:F0},{g:F0},{b:F0}) vs mean ({mr:F0},{mg:F0},{mb:F0}), decoded {w}x{h}, dominant {insight.DominantColor}");
                Assert.InRange(hash.Length, 5, 40);
                Assert.InRange(ratio / actualRatio, 0.8, 1.25);
                Assert.Equal(actualRatio > 1, w > h);
                Assert.InRange(Math.Abs(r - mr), 0, 12);
                Assert.InRange(Math.Abs(g - mg), 0, 12);
                Assert.InRange(Math.Abs(b - mb), 0, 12);
                var decodedMean = (rgb.Where((_, i) => i % 3 == 0).Average(), rgb.Where((_, i) => i % 3 == 1).Average(), rgb.Where((_, i) => i % 3 == 2).Average());
                Assert.InRange(Math.Abs(decodedMean.Item1 - mr), 0, 16);
                Assert.InRange(Math.Abs(decodedMean.Item2 - mg), 0, 16);
                Assert.InRange(Math.Abs(decodedMean.Item3 - mb), 0, 16);
                Assert.Matches("^#[0-9a-f]{6}$", insight.DominantColor);
            }
        }
    }

    [Fact]
    public async Task TheSampleIsInDisplayOrientation_FR9_1()
    {
        // Stored 200x100 with orientation 6 (rotate 90° clockwise): displayed 100x200, sampled 50x100.
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path + ".jpg", TestImages.JpegWithRedCorner(200, 100, 6));
            foreach (var sample in new[] { await NativeSampleAsync(path + ".jpg"), await ManagedSampleAsync(path + ".jpg") })
            {
                Assert.Equal((50, 100), (sample.Width, sample.Height));
                Assert.Equal(sample.Width * sample.Height * 4, sample.Rgba.Length);

                // The red quadrant is displayed top right.
                var topRight = ((sample.Height / 4 * sample.Width) + sample.Width * 3 / 4) * 4;
                Assert.True(sample.Rgba[topRight] > 200 && sample.Rgba[topRight + 2] < 60, "red top right");
            }
        }
        finally
        {
            File.Delete(path);
            File.Delete(path + ".jpg");
        }
    }

    [Fact]
    public void TheDominantColourIsTheModeNotTheMean_FR9_1()
    {
        // 70 % grey, 30 % red: the mean would be a brownish grey; the mode is the grey.
        var rgba = new byte[100 * 10 * 4];
        for (var i = 0; i < 1000; i++)
        {
            var red = i % 10 < 3;
            rgba[i * 4] = red ? (byte)230 : (byte)120;
            rgba[i * 4 + 1] = red ? (byte)20 : (byte)121;
            rgba[i * 4 + 2] = red ? (byte)30 : (byte)119;
            rgba[i * 4 + 3] = 255;
        }

        Assert.Equal("#787977", DominantColour.Compute(100, 10, rgba));

        // Transparent pixels do not vote.
        for (var i = 0; i < 1000; i++)
        {
            if (i % 10 >= 3)
            {
                rgba[i * 4 + 3] = 0;
            }
        }

        Assert.Equal("#e6141e", DominantColour.Compute(100, 10, rgba));
    }

    [Fact]
    public void ThePerceptualHashIgnoresBrightnessScaleAndSeesInversion_FR9_2()
    {
        var photo = TestImages.Photo(96, 64, seed: 5);
        var rgba = new byte[96 * 64 * 4];
        photo.CopyPixelDataTo(rgba);
        var hash = PerceptualHash.Compute(96, 64, rgba);
        Assert.InRange((int)ulong.PopCount(hash), 24, 40); // a median threshold: about half the bits

        var brighter = rgba.Select((v, i) => i % 4 == 3 ? v : (byte)Math.Min(255, v * 0.8 + 40)).ToArray();
        Assert.True(ImageInsight.Distance(hash, PerceptualHash.Compute(96, 64, brighter)) <= 2);

        var inverted = rgba.Select((v, i) => i % 4 == 3 ? v : (byte)(255 - v)).ToArray();
        Assert.True(ImageInsight.Distance(hash, PerceptualHash.Compute(96, 64, inverted)) >= 56);
    }

    [Fact]
    public void ThumbHashOfAnImageWithAlphaCarriesIt_FR9_1()
    {
        var rgba = new byte[40 * 20 * 4];
        for (var i = 0; i < 800; i++)
        {
            rgba[i * 4] = 10;
            rgba[i * 4 + 1] = 200;
            rgba[i * 4 + 2] = 30;
            rgba[i * 4 + 3] = (byte)(i % 40 < 20 ? 255 : 0);
        }

        var hash = ThumbHash.Encode(40, 20, rgba);
        var header = ThumbHashDecoder.Read(hash);
        Assert.True(header.HasAlpha);
        Assert.True(header.IsLandscape);
        var (r, g, b) = ThumbHashDecoder.AverageColour(hash);
        Assert.InRange(r, 0, 30);
        Assert.InRange(g, 180, 220);
        Assert.InRange(b, 10, 50);
    }

    private static (double R, double G, double B) Mean(Image<Rgba32> image)
    {
        double r = 0, g = 0, b = 0;
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                foreach (var p in rows.GetRowSpan(y))
                {
                    r += p.R;
                    g += p.G;
                    b += p.B;
                }
            }
        });
        var n = (double)image.Width * image.Height;
        return (r / n, g / n, b / n);
    }
}
