using System.Diagnostics;
using System.Globalization;
using Images.Application.Common;
using Images.Domain.Images;
using Images.Infrastructure.Processing;
using Microsoft.Extensions.Options;

// One engine, one process (so its peak RSS is its own), over a list of files:
//   dotnet bench/Images.Bench/bin/Release/net10.0/Images.Bench.dll <engine> <workers> <file-list>
// engines: native (Images.Native with the managed fallback, as the service runs it), imagesharp,
// netvips (NetVips 3.2 / libvips 8.18 thumbnail). 256 px JPEG thumbnails at the service's default
// quality (ProcessingOptions.ThumbnailQuality, IMG_THUMBNAIL_QUALITY: 85), written to memory.
// renditions: what a Worker's processing does to each image at default settings, without the
// service: the native renditions (IMG_RENDITIONS thumbnail:256 as JPEG, WebP, AVIF, and PNG for
// alpha, one decode), the EXIF read and the insight (ThumbHash, dominant colour, pHash).
// native-libpng: the native library alone (no managed fallback) with every PNG read through
// libpng's row reader; native-streamed: its own IDAT reader for 8-bit RGB and RGBA, the stream
// inflated row by row (zlib); native-direct: the library's defaults (that reader, libdeflate
// inflating a stream of up to 64 MiB whole). bench/formats.sh measures them in one sitting.
// Prints one tab-separated line: engine workers images seconds megapixels peak_rss_kb failures.
var engine = args[0];
if (engine == "megapixels")
{
    // Only the corpus's size: total megapixels of the listed files.
    var total = File.ReadAllLines(args[1]).Where(f => f.Length > 0).Sum(Megapixels);
    Console.WriteLine(total.ToString("F1", CultureInfo.InvariantCulture));
    return;
}

var workers = int.Parse(args[1], CultureInfo.InvariantCulture);
var files = File.ReadAllLines(args[2]).Where(f => f.Length > 0).ToList();
var settings = Options.Create(new ProcessingOptions { ThumbnailMaxSize = 256 });
var imageSharp = new ImageSharpImageProcessor(settings);
var native = new CompositeImageProcessor(new NativeImageProcessor(settings), imageSharp, Options.Create(new NativeProcessingOptions()));
if (engine == "netvips")
{
    NetVips.Cache.Max = 0;
    NetVips.NetVips.Concurrency = 1;
}

var analyser = new Images.Infrastructure.Insight.ImageAnalyser();

async Task<long> ThumbnailAsync(string path)
{
    if (engine == "renditions")
    {
        Images.Application.Abstractions.RenditionSet set;
        ImageFormat kind;
        await using (var original = File.OpenRead(path))
        {
            var magic = new byte[16];
            await original.ReadExactlyAsync(magic);
            original.Position = 0;
            kind = ImageFormatSniffer.Detect(magic) ?? throw new InvalidOperationException(path);
            set = await native.CreateRenditionsAsync(original, kind, settings.Value.Renditions, CancellationToken.None);
        }

        Images.Domain.Images.ExifSummary? exif;
        await using (var original = File.OpenRead(path))
        {
            exif = await analyser.ReadExifAsync(original, kind, CancellationToken.None);
        }

        _ = set.Sample is { } sample ? analyser.Analyse(sample, exif) : null;
        return set.Renditions.Sum(r => r.Files.Values.Sum(f => (long)f.Bytes.Length));
    }

    if (engine is "native-libpng" or "native-streamed" or "native-direct")
    {
        var options = engine switch
        {
            "native-libpng" => Images.Native.NativeDecodeOptions.LibpngOnly,
            "native-streamed" => Images.Native.NativeDecodeOptions.PngStreamed,
            _ => Images.Native.NativeDecodeOptions.None,
        };
        var request = new Images.Native.NativeThumbnailRequest(256, settings.Value.ThumbnailQuality, settings.Value.MaxImagePixels, settings.Value.MaxDecodeMemoryBytes,
            settings.Value.MaxImageSide, Images.Native.NativeOutput.Jpeg, options);
        return Images.Native.NativeThumbnailer.CreateThumbnail(path, request).Data.Length;
    }

    if (engine == "netvips")
    {
        using var image = NetVips.Image.Thumbnail(path, 256, height: 256);
        var jpeg = image.JpegsaveBuffer(q: settings.Value.ThumbnailQuality);
        return jpeg.Length;
    }

    var header = new byte[16];
    await using var source = File.OpenRead(path);
    await source.ReadExactlyAsync(header);
    source.Position = 0;
    var format = ImageFormatSniffer.Detect(header) ?? throw new InvalidOperationException(path);
    using var output = new MemoryStream();
    var processor = engine == "native" ? (Images.Application.Abstractions.IImageProcessor)native : imageSharp;
    var metadata = await processor.CreateThumbnailAsync(source, format, output, CancellationToken.None);
    return metadata.PixelCount;
}

// Warm-up (JIT, library loading), not timed: one file of each format, as a long-running service
// has compiled every path it uses after its first images. BENCH_WARMUP=cold warms two files only.
var warmup = Environment.GetEnvironmentVariable("BENCH_WARMUP") == "cold"
    ? files.Take(2)
    : files.GroupBy(f => Path.GetExtension(f).ToLowerInvariant()).Select(g => g.First());
foreach (var path in warmup)
{
    try
    {
        await ThumbnailAsync(path);
    }
    catch (Exception ex) when (ex is ImageProcessingException or NetVips.VipsException)
    {
        // Counted below, where it is timed (ImageSharp 2.1 reads no tiled TIFF).
    }
}

var failures = 0;
var stopwatch = Stopwatch.StartNew();
await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = workers }, async (path, _) =>
{
    try
    {
        await ThumbnailAsync(path);
    }
    catch (Exception ex) when (ex is ImageProcessingException or NetVips.VipsException)
    {
        Interlocked.Increment(ref failures);
    }
});
stopwatch.Stop();

var megapixels = files.Sum(f => Megapixels(f));
var peak = File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
Console.WriteLine(string.Join('\t', engine, workers, files.Count, stopwatch.Elapsed.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture),
    megapixels.ToString("F1", CultureInfo.InvariantCulture), peak, failures));

static double Megapixels(string path)
{
    var info = SixLabors.ImageSharp.Image.Identify(path);
    return info is null ? 0 : info.Width * (double)info.Height / 1e6;
}
