namespace Images.Application.Common;

/// <summary>Processing settings (IMG_PROCESSING_*, IMG_THUMBNAIL_*, IMG_MAX_*).</summary>
public sealed class ProcessingOptions
{
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

    /// <summary>IMG_PROCESSING_TIMEOUT_SECONDS: after this an image still in processing is taken back.</summary>
    public int StaleAfterSeconds { get; set; } = 300;

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
}
