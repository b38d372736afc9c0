using Images.Application.Common.Settings;

namespace Images.Application.Common;

/// <summary>
/// Processing: workers, thumbnails, the per-image budgets (NFR-8), the lease and the attempt cap
/// (NFR-9), and the requeueing of pending images (IMG_PROCESSING_*, IMG_THUMBNAIL_*, IMG_MAX_*).
/// </summary>
public sealed class ProcessingOptions : IImgSettings<ProcessingOptions>
{
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

    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);

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
    }
}
