using System.Diagnostics;
using Images.Application.Common;
using Images.Domain.Images;
using Images.Infrastructure.Processing;
using Microsoft.Extensions.Options;

// Thumbnails per second of the managed processor alone (no HTTP, no database), over the corpus
// built by bench/corpus.sh: the baseline that bench/pipeline-throughput.sh is compared with.
// Usage: dotnet run -c Release --project bench/Images.Bench -- [corpus dir] [workers] [rounds]
var corpus = args.Length > 0 ? args[0] : Path.Combine("bench", "corpus", "images");
var workers = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2;
var rounds = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2;

var files = Directory.GetFiles(corpus)
    .Select(f => (Path: f, Format: ImageFormatSniffer.Detect(File.ReadAllBytes(f).AsSpan(0, 16))))
    .Where(f => f.Format is not null)
    .Select(f => (f.Path, Format: f.Format!.Value))
    .ToList();
var processor = new ImageSharpImageProcessor(Options.Create(new ProcessingOptions()));
var work = Enumerable.Repeat(files, rounds).SelectMany(f => f).ToList();

// One warm-up pass over a few files (JIT), not timed.
foreach (var (path, format) in files.Take(4))
{
    await using var source = File.OpenRead(path);
    await processor.CreateThumbnailAsync(source, format, Stream.Null, CancellationToken.None);
}

long megapixels = 0;
var failures = 0;
var stopwatch = Stopwatch.StartNew();
await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = workers }, async (item, ct) =>
{
    await using var source = File.OpenRead(item.Path);
    try
    {
        var metadata = await processor.CreateThumbnailAsync(source, item.Format, Stream.Null, ct);
        Interlocked.Add(ref megapixels, metadata.PixelCount);
    }
    catch (ImageProcessingException)
    {
        Interlocked.Increment(ref failures);
    }
});
stopwatch.Stop();

Console.WriteLine($"ImageSharp processor, {workers} worker(s): {work.Count} images ({files.Count} files x {rounds}), {megapixels / 1e6:F0} MP, {failures} failed");
Console.WriteLine($"{work.Count / stopwatch.Elapsed.TotalSeconds:F2} thumbnails/s, {stopwatch.Elapsed.TotalMilliseconds / (megapixels / 1e6):F1} ms/MP, {stopwatch.Elapsed.TotalSeconds:F1} s");
