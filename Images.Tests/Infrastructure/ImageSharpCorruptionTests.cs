using System.Diagnostics;
using Images.Application.Common;
using Images.Application.Images.Process;
using Images.Domain.Images;
using Images.Infrastructure.Processing;
using Images.Tests.Support;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Tiff.Constants;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;
using ImageProcessingException = Images.Application.Common.ImageProcessingException;

namespace Images.Tests.Infrastructure;

/// <summary>
/// Issue 17 item 3, NFR-7 on the managed path: valid images of every accepted format and of the
/// decoder paths that matter (baseline and progressive JPEG, PNG plain, with alpha and interlaced,
/// WebP lossy and lossless, TIFF plain and compressed) are corrupted deterministically (a seeded
/// Random: bytes overwritten, truncations, runs inserted and deleted, chunks swapped or repeated,
/// lengths and offsets smashed) a few hundred times. ImageSharpImageProcessor must answer each
/// one as the Worker calls it, PlanAsync and then, within the budget, CreateThumbnailAsync, with a
/// result or an ImageProcessingException, within a bound, and never with any other exception: the
/// Worker takes any other exception for an infrastructure fault and retries the image for ever.
/// </summary>
public class ImageSharpCorruptionTests(ITestOutputHelper output)
{
    private const int MutantsPerSeed = 40;
    private static readonly TimeSpan PerRun = TimeSpan.FromSeconds(10);

    private static readonly ProcessingOptions Limits = new()
    {
        ThumbnailMaxSize = 64,
        MaxImagePixels = 4_000_000,
        MaxDecodeMemoryMegabytes = 64,
    };

    [Fact]
    public async Task CorruptedImagesOfEveryFormatEndInMetadataOrAProcessingErrorWithinTheBound_NFR7()
    {
        var processor = new ImageSharpImageProcessor(Options.Create(Limits));
        var seeds = await SeedsAsync();
        var problems = new List<string>();
        var outcomes = new Dictionary<string, int>();
        var slowest = (Seconds: 0.0, Name: string.Empty);
        var clock = Stopwatch.StartNew();
        var index = 0;
        foreach (var (name, format, valid) in seeds)
        {
            // The valid seed itself must come through: the corruptions start from a working file.
            Assert.Equal("thumbnail", await RunAsync(processor, valid, format));
            for (var i = 0; i < MutantsPerSeed; i++, index++)
            {
                var random = new Random(17_000 + index);
                var (mutant, how) = Mutate(valid, format, random);
                var run = Stopwatch.StartNew();
                string outcome;
                try
                {
                    outcome = await RunAsync(processor, mutant, format).WaitAsync(PerRun);
                }
                catch (TimeoutException)
                {
                    outcome = $"still running after {PerRun.TotalSeconds} s";
                    problems.Add($"{name} #{i} (seed {17_000 + index}: {how}): {outcome}");
                    continue;
                }
#pragma warning disable CA1031 // Any other exception is what this test looks for.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    problems.Add($"{name} #{i} (seed {17_000 + index}: {how}): {ex.GetType().FullName}: {ex.Message}\n{ex.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("Images.", StringComparison.Ordinal))?.Trim()}");
                    continue;
                }

                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                if (run.Elapsed.TotalSeconds > slowest.Seconds)
                {
                    slowest = (run.Elapsed.TotalSeconds, $"{name} #{i} ({how})");
                }
            }
        }

        output.WriteLine($"{index} corrupted files of {seeds.Count} seeds in {clock.Elapsed.TotalSeconds:F1} s; slowest {slowest.Seconds:F2} s: {slowest.Name}");
        output.WriteLine(string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key}: {o.Value}")));
        Assert.True(problems.Count == 0, $"{problems.Count} of {index} corrupted files ended otherwise:\n" + string.Join("\n", problems));
        // The corruptions reached the decoders: some files still decode, many are refused.
        Assert.True(outcomes.GetValueOrDefault("thumbnail") > 0 && outcomes.GetValueOrDefault("ImageProcessingException") > 0, string.Join(", ", outcomes));
    }

    /// <summary>
    /// What the Worker does with one original: plan it, refuse it over the budget, else make the
    /// thumbnail. Returns "thumbnail", "over budget" or "ImageProcessingException"; anything else throws.
    /// </summary>
    private static async Task<string> RunAsync(ImageSharpImageProcessor processor, byte[] bytes, ImageFormat format)
    {
        await Task.Yield();
        try
        {
            using var original = new MemoryStream(bytes, writable: false);
            var plan = await processor.PlanAsync(original, format, CancellationToken.None);
            Assert.Equal(0, original.Position);
            if (Budget.Refusal(plan, format, Limits) is not null)
            {
                return "over budget";
            }

            using var thumbnail = new MemoryStream();
            var metadata = await processor.CreateThumbnailAsync(original, format, thumbnail, CancellationToken.None);
            Assert.Equal(format, metadata.Format);
            Assert.True(metadata.Width > 0 && metadata.Height > 0 && thumbnail.Length > 0, $"{metadata} with a thumbnail of {thumbnail.Length} bytes");
            return "thumbnail";
        }
        catch (ImageProcessingException ex)
        {
            Assert.False(string.IsNullOrWhiteSpace(ex.Message));
            return nameof(ImageProcessingException);
        }
    }

    private static async Task<List<(string Name, ImageFormat Format, byte[] Bytes)>> SeedsAsync()
    {
        var baseline = TestImages.Jpeg(64, 48, orientation: 6, seed: 171);
        return
        [
            ("jpeg baseline with EXIF", ImageFormat.Jpeg, baseline),
            ("jpeg progressive", ImageFormat.Jpeg, await TestImages.ProgressiveAsync(TestImages.Jpeg(64, 48, seed: 172))),
            ("jpeg progressive 4:2:0 with restarts", ImageFormat.Jpeg, await TestImages.ProgressiveAsync(await TestImages.CjpegAsync(64, 48, 173, "-sample", "2x2"), restartInterval: "1")),
            ("png", ImageFormat.Png, TestImages.Png(48, 32, seed: 174)),
            ("png with alpha", ImageFormat.Png, TestImages.Png(48, 32, alpha: true, seed: 175)),
            ("png interlaced", ImageFormat.Png, Encode(new PngEncoder { InterlaceMethod = PngInterlaceMode.Adam7, ColorType = PngColorType.Rgb })),
            ("webp lossy", ImageFormat.Webp, TestImages.Webp(48, 32, seed: 176)),
            ("webp lossless", ImageFormat.Webp, Encode(new WebpEncoder { FileFormat = WebpFileFormatType.Lossless })),
            ("tiff", ImageFormat.Tiff, TestImages.Tiff(48, 32, seed: 177)),
            ("tiff lzw", ImageFormat.Tiff, Encode(new TiffEncoder { Compression = TiffCompression.Lzw, BitsPerPixel = TiffBitsPerPixel.Bit24 })),
            ("tiff deflate", ImageFormat.Tiff, Encode(new TiffEncoder { Compression = TiffCompression.Deflate, BitsPerPixel = TiffBitsPerPixel.Bit24 })),
        ];
    }

    /// <summary>The photo-like PNG of TestImages re-encoded by <paramref name="encoder"/>.</summary>
    private static byte[] Encode(IImageEncoder encoder)
    {
        using var image = SixLabors.ImageSharp.Image.Load<Rgba32>(TestImages.Png(48, 32, seed: 178));
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    /// <summary>
    /// One to three corruptions chosen and placed by <paramref name="random"/>, mostly after the
    /// magic bytes, which are then restored so that the file still sniffs as its format (as every
    /// upload the processor sees does, FR-1.1); returns the file and what was done to it.
    /// </summary>
    private static (byte[] Bytes, string How) Mutate(byte[] valid, ImageFormat format, Random random)
    {
        var bytes = new List<byte>(valid);
        var steps = new List<string>();
        for (var step = random.Next(1, 4); step > 0 && bytes.Count > 0; step--)
        {
            var at = random.Next(bytes.Count);
            var run = random.Next(1, 65);
            switch (random.Next(8))
            {
                case 0:
                    var count = random.Next(1, 9);
                    for (var k = 0; k < count; k++)
                    {
                        bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                    }

                    steps.Add($"{count} bytes overwritten");
                    break;
                case 1:
                    bytes.RemoveRange(at, bytes.Count - at);
                    steps.Add($"truncated at {at}");
                    break;
                case 2:
                    var fill = random.Next(3) switch { 0 => (byte)0x00, 1 => (byte)0xFF, _ => (byte)random.Next(256) };
                    bytes.InsertRange(at, Enumerable.Repeat(fill, run));
                    steps.Add($"{run} x 0x{fill:X2} inserted at {at}");
                    break;
                case 3:
                    run = Math.Min(run, bytes.Count - at);
                    bytes.RemoveRange(at, run);
                    steps.Add($"{run} bytes deleted at {at}");
                    break;
                case 4 when bytes.Count >= 4:
                    run = Math.Min(run, bytes.Count / 2);
                    var first = random.Next(bytes.Count - (2 * run) + 1);
                    var second = random.Next(first + run, bytes.Count - run + 1);
                    var a = bytes.GetRange(first, run);
                    var b = bytes.GetRange(second, run);
                    bytes.RemoveRange(second, run);
                    bytes.InsertRange(second, a);
                    bytes.RemoveRange(first, run);
                    bytes.InsertRange(first, b);
                    steps.Add($"{run}-byte chunks at {first} and {second} swapped");
                    break;
                case 5:
                    run = Math.Min(run, bytes.Count - at);
                    var copy = bytes.GetRange(at, run);
                    var to = random.Next(bytes.Count + 1);
                    bytes.InsertRange(to, copy);
                    steps.Add($"{run} bytes from {at} repeated at {to}");
                    break;
                case 6:
                    // Headers hold the sizes and offsets: hit the first 64 bytes harder.
                    var header = random.Next(Math.Min(64, bytes.Count));
                    bytes[header] ^= (byte)(1 << random.Next(8));
                    steps.Add($"bit flipped at {header}");
                    break;
                default:
                    if (bytes.Count >= 4)
                    {
                        var word = random.Next(bytes.Count - 3);
                        var value = random.Next(4) switch { 0 => 0xFFFFFFFFu, 1 => 0x7FFFFFFFu, 2 => 0x80000000u, _ => 0u };
                        for (var k = 0; k < 4; k++)
                        {
                            bytes[word + k] = (byte)(value >> (8 * k));
                        }

                        steps.Add($"0x{value:X8} written at {word}");
                    }

                    break;
            }
        }

        var mutant = bytes.ToArray();
        var magic = format switch { ImageFormat.Jpeg => 3, ImageFormat.Png => 8, ImageFormat.Webp => 12, _ => 4 };
        for (var k = 0; k < Math.Min(magic, mutant.Length); k++)
        {
            if (format != ImageFormat.Webp || k is < 4 or >= 8)
            {
                mutant[k] = valid[k];
            }
        }

        return (mutant, string.Join("; ", steps));
    }
}
