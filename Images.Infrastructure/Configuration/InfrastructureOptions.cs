using Images.Application.Common;
using Npgsql;

namespace Images.Infrastructure.Configuration;

/// <summary>Database connection (IMG_DB_*), or Aspire's ConnectionStrings:imagesdb when present.</summary>
public sealed class DatabaseOptions
{
    public const string ConnectionStringName = ResourceNames.Database;

    public string ConnectionString { get; set; } = string.Empty;

    public static void Bind(DatabaseOptions options, ImgSettingsReader reader)
    {
        var poolSize = reader.Int("IMG_DB_POOL_SIZE", 10, 1, 1000);
        var maxOverflow = reader.Int("IMG_DB_MAX_OVERFLOW", 20, 0, 1000);

        var injected = reader.Configuration[$"ConnectionStrings:{ConnectionStringName}"];
        NpgsqlConnectionStringBuilder builder;
        if (!string.IsNullOrWhiteSpace(injected))
        {
            try
            {
                builder = new NpgsqlConnectionStringBuilder(injected);
            }
            catch (ArgumentException ex)
            {
                reader.Require(false, $"ConnectionStrings:{ConnectionStringName} is not a valid PostgreSQL connection string: {ex.Message}");
                return;
            }
        }
        else
        {
            var user = reader.Raw("IMG_DB_USER");
            var password = reader.Configuration["IMG_DB_PASSWORD"];
            reader.Require(user is not null, "IMG_DB_USER is required (it has no default) unless ConnectionStrings__imagesdb is set.");
            reader.Require(!string.IsNullOrEmpty(password), "IMG_DB_PASSWORD is required (it has no default) unless ConnectionStrings__imagesdb is set.");
            builder = new NpgsqlConnectionStringBuilder
            {
                Host = reader.String("IMG_DB_HOST", "localhost"),
                Port = reader.Int("IMG_DB_PORT", 5432, 1, 65535),
                Database = reader.String("IMG_DB_NAME", "images"),
                Username = user,
                Password = password,
            };
        }

        // SQLAlchemy's pool_size + max_overflow is the most connections one process opens.
        builder.MaxPoolSize = poolSize + maxOverflow;
        builder.Pooling = true;
        options.ConnectionString = builder.ConnectionString;
    }
}

/// <summary>IMG_STORAGE_BASE_DIR: root of originals, thumbnails and temporary uploads.</summary>
public sealed class StorageOptions
{
    public string BaseDirectory { get; set; } = "/data/images";

    public static void Bind(StorageOptions options, ImgSettingsReader reader) =>
        options.BaseDirectory = reader.String("IMG_STORAGE_BASE_DIR", "/data/images");
}

public static class ApplicationOptionsBinding
{
    public static void BindProcessing(ProcessingOptions options, ImgSettingsReader reader)
    {
        options.MaxWorkers = reader.Int("IMG_PROCESSING_MAX_WORKERS", 4, 1, 256);
        options.ThumbnailMaxSize = reader.Int("IMG_THUMBNAIL_MAX_SIZE", 256, 16, 4096);
        options.ThumbnailQuality = reader.Int("IMG_THUMBNAIL_QUALITY", 85, 1, 100);
        options.MaxImagePixels = reader.Long("IMG_MAX_IMAGE_PIXELS", 100_000_000, 1, 1_000_000_000);
        options.MaxUploadBytes = reader.Long("IMG_MAX_UPLOAD_BYTES", 50L * 1024 * 1024, 1, 10L * 1024 * 1024 * 1024);
        options.QueueCapacity = reader.Int("IMG_PROCESSING_QUEUE_CAPACITY", 1000, 1, 1_000_000);
        options.RequeuePendingAfterSeconds = reader.Int("IMG_PROCESSING_REQUEUE_PENDING_SECONDS", 900, 5, 604_800);
        options.LeaseSeconds = reader.Int("IMG_PROCESSING_LEASE_SECONDS", 20, 3, 3600);
        options.MaxAttempts = reader.Int("IMG_PROCESSING_MAX_ATTEMPTS", 3, 1, 100);
        options.ImageTimeoutSeconds = reader.Int("IMG_PROCESSING_IMAGE_TIMEOUT_SECONDS", 30, 1, 3600);
        options.MaxDecodeMemoryMegabytes = reader.Int("IMG_MAX_DECODE_MEMORY_MB", 512, 16, 65_536);
        options.MaxImageSide = reader.Int("IMG_MAX_IMAGE_SIDE", 65_535, 1, 1_000_000);
    }

    public static void BindRetention(RetentionOptions options, ImgSettingsReader reader)
    {
        options.BatchSize = reader.Int("IMG_RETENTION_BATCH_SIZE", 100, 1, 10_000);
        options.IntervalSeconds = reader.Int("IMG_RETENTION_INTERVAL_SECONDS", 0, 0, 604_800);
        options.ReconcileIntervalSeconds = reader.Int("IMG_RECONCILE_INTERVAL_SECONDS", 3600, 0, 604_800);
        options.OrphanGraceSeconds = reader.Int("IMG_ORPHAN_GRACE_SECONDS", 3600, 60, 2_592_000);
    }
}
