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
        options.StaleAfterSeconds = reader.Int("IMG_PROCESSING_TIMEOUT_SECONDS", 300, 5, 86_400);
        options.RequeuePendingAfterSeconds = reader.Int("IMG_PROCESSING_REQUEUE_PENDING_SECONDS", 900, 5, 604_800);
    }

    public static void BindRetention(RetentionOptions options, ImgSettingsReader reader)
    {
        options.BatchSize = reader.Int("IMG_RETENTION_BATCH_SIZE", 100, 1, 10_000);
        options.IntervalSeconds = reader.Int("IMG_RETENTION_INTERVAL_SECONDS", 0, 0, 604_800);
    }
}
