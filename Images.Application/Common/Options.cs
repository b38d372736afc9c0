namespace Images.Application.Common;

/// <summary>Processing settings (IMG_PROCESSING_*, IMG_THUMBNAIL_*, IMG_MAX_*).</summary>
public sealed class ProcessingOptions
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

    /// <summary>IMG_MAX_UPLOAD_BYTES: upload limit (FR-1.2), 50 MB by default.</summary>
    public long MaxUploadBytes { get; set; } = 50L * 1024 * 1024;

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

    /// <summary>IMG_PROCESSING_IMAGE_TIMEOUT_SECONDS: wall-time budget of one image's decode and encode (NFR-8).</summary>
    public int ImageTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// IMG_MAX_DECODE_MEMORY_MB: working-memory budget of one decode, computed from the header for the
    /// decoder that will run; also the pool that concurrent decodes of this process share (NFR-8).
    /// </summary>
    public int MaxDecodeMemoryMegabytes { get; set; } = 512;

    /// <summary>IMG_MAX_IMAGE_SIDE: the largest width or height accepted (JPEG's own maximum by default).</summary>
    public int MaxImageSide { get; set; } = 65_535;

    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);

    public long MaxDecodeMemoryBytes => MaxDecodeMemoryMegabytes * 1024L * 1024L;

    /// <summary>
    /// IMG_PROCESSING_REQUEUE_PENDING_SECONDS: with Kafka, an image pending this long gets a new task
    /// (its message was lost or never consumed). Longer than a normal backlog takes to drain.
    /// </summary>
    public int RequeuePendingAfterSeconds { get; set; } = 900;
}

/// <summary>Retention settings (IMG_RETENTION_*).</summary>
public sealed class RetentionOptions
{
    /// <summary>IMG_RETENTION_BATCH_SIZE (FR-4.3).</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>IMG_RETENTION_INTERVAL_SECONDS: scheduled sweep period; 0 disables the schedule (FR-4.5).</summary>
    public int IntervalSeconds { get; set; }

    /// <summary>
    /// IMG_RECONCILE_INTERVAL_SECONDS: how often storage is reconciled with the database (orphan
    /// originals, thumbnails and temporary files removed, NFR-9); 0 disables it.
    /// </summary>
    public int ReconcileIntervalSeconds { get; set; } = 3600;

    /// <summary>
    /// IMG_ORPHAN_GRACE_SECONDS: a file no row references is removed only once it is this old, so an
    /// upload between writing its blob and committing its row is never touched.
    /// </summary>
    public int OrphanGraceSeconds { get; set; } = 3600;
}
