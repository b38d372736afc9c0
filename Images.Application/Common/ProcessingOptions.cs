using System.Globalization;
using System.Text.RegularExpressions;
using Images.Application.Abstractions;
using Images.Application.Common.Settings;
using Images.Domain.Images;

namespace Images.Application.Common;

/// <summary>
/// Processing: workers, thumbnails, the per-image budgets (NFR-8), the lease and the attempt cap
/// (NFR-9), and the requeueing of pending images (IMG_PROCESSING_*, IMG_THUMBNAIL_*, IMG_MAX_*).
/// </summary>
public sealed partial class ProcessingOptions : IImgSettings<ProcessingOptions>
{
    /// <summary>Most renditions configured (the native library's limit).</summary>
    public const int MaxRenditions = 8;

    /// <summary>
    /// More scans than this in a progressive JPEG is an attack, not a photo (they have about ten):
    /// each scan costs a pass over the whole image (NFR-8). libjpeg-turbo's own fuzzers use 500.
    /// </summary>
    public const int MaxJpegScans = 500;

    /// <summary>IMG_PROCESSING_MAX_WORKERS: images decoded at once in this process.</summary>
    public int MaxWorkers { get; set; } = 4;

    /// <summary>IMG_THUMBNAIL_MAX_SIZE: longest thumbnail side in pixels (FR-2.1).</summary>
    public int ThumbnailMaxSize { get; set; } = 256;

    /// <summary>IMG_THUMBNAIL_QUALITY: JPEG quality of thumbnails.</summary>
    public int ThumbnailQuality { get; set; } = 85;

    /// <summary>IMG_MAX_IMAGE_PIXELS: decompression-bomb limit read from the header (NFR-7).</summary>
    public long MaxImagePixels { get; set; } = 100_000_000;

    /// <summary>IMG_MAX_IMAGE_SIDE: the largest width or height accepted (JPEG's own maximum by default).</summary>
    public int MaxImageSide { get; set; } = 65_535;

    /// <summary>
    /// IMG_MAX_DECODE_MEMORY_MB: working-memory budget of one decode, computed from the header for the
    /// decoder that will run; also the pool that concurrent decodes of this process share (NFR-8).
    /// </summary>
    public int MaxDecodeMemoryMegabytes { get; set; } = 512;

    /// <summary>IMG_PROCESSING_IMAGE_TIMEOUT_SECONDS: wall-time budget of one image's decode and encode (NFR-8).</summary>
    public int ImageTimeoutSeconds { get; set; } = 30;

    /// <summary>IMG_PROCESSING_QUEUE_CAPACITY: in-process queue bound.</summary>
    public int QueueCapacity { get; set; } = 1000;

    /// <summary>
    /// IMG_PROCESSING_LEASE_SECONDS: how long a claim on an image stands without renewal. The holder
    /// renews it every third of that while it works; once it lapses (the process died) a redelivered
    /// task or the recovery loop takes the image over (NFR-9).
    /// </summary>
    public int LeaseSeconds { get; set; } = 20;

    /// <summary>
    /// IMG_PROCESSING_MAX_ATTEMPTS: attempts that may die without an outcome (lapsed leases) before
    /// the image is failed instead of queued again (NFR-9).
    /// </summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>
    /// IMG_PROCESSING_REQUEUE_PENDING_SECONDS: with Kafka, an image pending this long gets a new task
    /// (its message was lost or never consumed). Longer than a normal backlog takes to drain.
    /// </summary>
    public int RequeuePendingAfterSeconds { get; set; } = 900;

    /// <summary>
    /// IMG_RENDITIONS: the named sizes made of every image (FR-8.1), e.g. <c>thumbnail:256,preview:1024</c>.
    /// <c>thumbnail</c> always exists and follows IMG_THUMBNAIL_MAX_SIZE (its size may be left out).
    /// </summary>
    public IReadOnlyList<RenditionSize> Renditions { get; set; } = [new(Rendition.Thumbnail, 256)];

    /// <summary>IMG_WEBP_QUALITY: quality of WebP renditions (1-100).</summary>
    public int WebpQuality { get; set; } = 80;

    /// <summary>IMG_AVIF_QUALITY: quality of AVIF renditions (1-100; libavif's quantizers as avifenc maps them).</summary>
    public int AvifQuality { get; set; } = 60;

    /// <summary>IMG_AVIF_SPEED: libaom's speed for AVIF renditions, 0 (slowest) to 10 (ADR 12 measures 6, 8 and 10).</summary>
    public int AvifSpeed { get; set; } = 8;

    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);

    /// <summary>The largest side among the renditions: what the decoder reduces to.</summary>
    public int LargestRenditionSide => Renditions.Max(r => r.MaxSide);

    public long MaxDecodeMemoryBytes => MaxDecodeMemoryMegabytes * 1024L * 1024L;

    public static void Bind(ProcessingOptions options, ImgSettingsReader reader)
    {
        options.MaxWorkers = reader.Int("IMG_PROCESSING_MAX_WORKERS", options.MaxWorkers, 1, 256);
        options.ThumbnailMaxSize = reader.Int("IMG_THUMBNAIL_MAX_SIZE", options.ThumbnailMaxSize, 16, 4096);
        options.ThumbnailQuality = reader.Int("IMG_THUMBNAIL_QUALITY", options.ThumbnailQuality, 1, 100);
        options.MaxImagePixels = reader.Long("IMG_MAX_IMAGE_PIXELS", options.MaxImagePixels, 1, 1_000_000_000);
        options.MaxImageSide = reader.Int("IMG_MAX_IMAGE_SIDE", options.MaxImageSide, 1, 1_000_000);
        options.MaxDecodeMemoryMegabytes = reader.Int("IMG_MAX_DECODE_MEMORY_MB", options.MaxDecodeMemoryMegabytes, 16, 65_536);
        options.ImageTimeoutSeconds = reader.Int("IMG_PROCESSING_IMAGE_TIMEOUT_SECONDS", options.ImageTimeoutSeconds, 1, 3600);
        options.QueueCapacity = reader.Int("IMG_PROCESSING_QUEUE_CAPACITY", options.QueueCapacity, 1, 1_000_000);
        options.LeaseSeconds = reader.Int("IMG_PROCESSING_LEASE_SECONDS", options.LeaseSeconds, 3, 3600);
        options.MaxAttempts = reader.Int("IMG_PROCESSING_MAX_ATTEMPTS", options.MaxAttempts, 1, 100);
        options.RequeuePendingAfterSeconds = reader.Int("IMG_PROCESSING_REQUEUE_PENDING_SECONDS", options.RequeuePendingAfterSeconds, 5, 604_800);
        options.WebpQuality = reader.Int("IMG_WEBP_QUALITY", options.WebpQuality, 1, 100);
        options.AvifQuality = reader.Int("IMG_AVIF_QUALITY", options.AvifQuality, 1, 100);
        options.AvifSpeed = reader.Int("IMG_AVIF_SPEED", options.AvifSpeed, 0, 10);
        options.Renditions = ParseRenditions(reader, options.ThumbnailMaxSize);
    }

    /// <summary>
    /// IMG_RENDITIONS: comma-separated <c>name:size</c>; names of lower-case letters, digits, '-' and
    /// '_' (they appear in URLs and storage keys), unique; sizes 16-4096; at most 8. <c>thumbnail</c>
    /// is added when missing, and its size, when given, must be IMG_THUMBNAIL_MAX_SIZE.
    /// </summary>
    private static List<RenditionSize> ParseRenditions(ImgSettingsReader reader, int thumbnailSize)
    {
        const string Name = "IMG_RENDITIONS";
        var renditions = new List<RenditionSize>();
        var raw = reader.Raw(Name);
        foreach (var entry in (raw ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split(':', 2, StringSplitOptions.TrimEntries);
            var name = parts[0];
            if (!RenditionName().IsMatch(name))
            {
                reader.Require(false, $"{Name}: '{name}' is not a rendition name (lower-case letters, digits, '-' and '_', starting with a letter, at most 32); got '{raw}'.");
                continue;
            }

            int size;
            if (parts.Length == 1 && name == Rendition.Thumbnail)
            {
                size = thumbnailSize;
            }
            else if (parts.Length < 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out size) || size < 16 || size > 4096)
            {
                reader.Require(false, $"{Name}: '{entry}' must be name:size with a size between 16 and 4096 pixels; got '{raw}'.");
                continue;
            }

            if (name == Rendition.Thumbnail && size != thumbnailSize)
            {
                reader.Require(false, $"{Name}: thumbnail is {size} px but IMG_THUMBNAIL_MAX_SIZE is {thumbnailSize}; thumbnail follows IMG_THUMBNAIL_MAX_SIZE (write thumbnail:{thumbnailSize}, or leave its size out).");
                continue;
            }

            if (renditions.Any(r => r.Name == name))
            {
                reader.Require(false, $"{Name}: '{name}' is named twice; got '{raw}'.");
                continue;
            }

            renditions.Add(new RenditionSize(name, size));
        }

        if (renditions.All(r => r.Name != Rendition.Thumbnail))
        {
            renditions.Insert(0, new RenditionSize(Rendition.Thumbnail, thumbnailSize));
        }

        reader.Require(renditions.Count <= MaxRenditions, $"{Name}: at most {MaxRenditions} renditions; got {renditions.Count} ('{raw}').");
        return renditions.Count <= MaxRenditions ? renditions : renditions[..MaxRenditions];
    }

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex RenditionName();
}
