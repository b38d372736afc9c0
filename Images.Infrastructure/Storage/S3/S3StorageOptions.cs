using System.Data.Common;
using Images.Application.Common.Settings;
using Images.Contracts;

namespace Images.Infrastructure.Storage.S3;

/// <summary>
/// The S3-compatible store (FR-11.1, ADR 11), read only when IMG_STORAGE_BACKEND=s3. Aspire's
/// <c>ConnectionStrings:s3</c> (<c>Endpoint=...;Bucket=...;AccessKey=...;SecretKey=...;Region=...;ForcePathStyle=true</c>)
/// takes precedence over the IMG_S3_ variables it names. Timeouts and retries are set here on
/// purpose, never left to the SDK's defaults: a store that is away must turn into a 503 within
/// seconds, not hang an upload (NFR-9). The secret key is never logged nor echoed in a message.
/// </summary>
public sealed class S3StorageOptions : IImgSettings<S3StorageOptions>
{
    public const string ConnectionStringName = ResourceNames.ObjectStore;

    /// <summary>IMG_S3_ENDPOINT: the service URL of MinIO, Ceph, R2...; empty means AWS S3 in <see cref="Region"/>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>IMG_S3_REGION: the signing region (AWS: the bucket's region).</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>IMG_S3_BUCKET: required with the s3 backend.</summary>
    public string Bucket { get; set; } = string.Empty;

    /// <summary>IMG_S3_ACCESS_KEY / IMG_S3_SECRET_KEY: static credentials; both empty means the SDK's default chain (instance role, IRSA...).</summary>
    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    /// <summary>IMG_S3_FORCE_PATH_STYLE: <c>endpoint/bucket/key</c> instead of <c>bucket.endpoint/key</c> (MinIO and most self-hosted stores want true).</summary>
    public bool ForcePathStyle { get; set; } = true;

    /// <summary>IMG_S3_KEY_PREFIX: a folder inside the bucket for every key (several deployments, or a test run, in one bucket).</summary>
    public string KeyPrefix { get; set; } = string.Empty;

    /// <summary>IMG_S3_PRESIGNED_DOWNLOADS: downloads answer 302 to a presigned GET of the object instead of streaming it through the Api.</summary>
    public bool PresignedDownloads { get; set; }

    /// <summary>IMG_S3_PRESIGNED_EXPIRY_SECONDS: how long such an address works.</summary>
    public int PresignedExpirySeconds { get; set; } = 300;

    /// <summary>IMG_S3_TIMEOUT_SECONDS: the most one HTTP request to the store may take (an upload part included).</summary>
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>IMG_S3_CONNECT_TIMEOUT_SECONDS: the most opening a connection may take.</summary>
    public int ConnectTimeoutSeconds { get; set; } = 5;

    /// <summary>IMG_S3_MAX_RETRIES: retries of a failed request (5xx, throttling, a broken connection), with the SDK's standard backoff.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>IMG_S3_MULTIPART_THRESHOLD_MB: uploads larger than this go up in parts of this size.</summary>
    public int MultipartThresholdMegabytes { get; set; } = 16;

    /// <summary>
    /// IMG_S3_CONDITIONAL_WRITES: send <c>If-None-Match: *</c> when creating an original, so the store
    /// itself refuses to overwrite one (AWS S3 since 2024, MinIO, Ceph); servers that ignore the
    /// header are safe too, as the hash's lock already serialises writers (ADR 1, ADR 11).
    /// </summary>
    public bool ConditionalWrites { get; set; } = true;

    /// <summary>IMG_S3_CREATE_BUCKET: create the bucket at start-up when it is missing (development stores).</summary>
    public bool CreateBucket { get; set; }

    /// <summary>
    /// IMG_S3_STAGING_DIR: this node's own folder for uploads being hashed and originals being
    /// decoded (never shared, never in memory); stale files are removed by reconciliation.
    /// </summary>
    public string StagingDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "images-s3-staging");

    public long MultipartThresholdBytes => MultipartThresholdMegabytes * 1024L * 1024L;

    public static void Bind(S3StorageOptions options, ImgSettingsReader reader)
    {
        var selected = string.Equals(reader.Raw("IMG_STORAGE_BACKEND"), StorageOptions.S3, StringComparison.OrdinalIgnoreCase);
        options.Endpoint = reader.Raw("IMG_S3_ENDPOINT");
        options.Region = reader.String("IMG_S3_REGION", options.Region);
        options.Bucket = reader.String("IMG_S3_BUCKET", options.Bucket);
        options.AccessKey = reader.Raw("IMG_S3_ACCESS_KEY");
        options.SecretKey = reader.Raw("IMG_S3_SECRET_KEY");
        options.ForcePathStyle = reader.Bool("IMG_S3_FORCE_PATH_STYLE", options.ForcePathStyle);
        options.KeyPrefix = NormalisePrefix(reader.String("IMG_S3_KEY_PREFIX", options.KeyPrefix));
        options.PresignedDownloads = reader.Bool("IMG_S3_PRESIGNED_DOWNLOADS", options.PresignedDownloads);
        options.PresignedExpirySeconds = reader.Int("IMG_S3_PRESIGNED_EXPIRY_SECONDS", options.PresignedExpirySeconds, 10, 604_800);
        options.TimeoutSeconds = reader.Int("IMG_S3_TIMEOUT_SECONDS", options.TimeoutSeconds, 1, 3600);
        options.ConnectTimeoutSeconds = reader.Int("IMG_S3_CONNECT_TIMEOUT_SECONDS", options.ConnectTimeoutSeconds, 1, 600);
        options.MaxRetries = reader.Int("IMG_S3_MAX_RETRIES", options.MaxRetries, 0, 10);
        options.MultipartThresholdMegabytes = reader.Int("IMG_S3_MULTIPART_THRESHOLD_MB", options.MultipartThresholdMegabytes, 5, 5120);
        options.ConditionalWrites = reader.Bool("IMG_S3_CONDITIONAL_WRITES", options.ConditionalWrites);
        options.CreateBucket = reader.Bool("IMG_S3_CREATE_BUCKET", options.CreateBucket);
        options.StagingDirectory = reader.String("IMG_S3_STAGING_DIR", options.StagingDirectory);

        var injected = reader.Configuration[$"ConnectionStrings:{ConnectionStringName}"];
        if (!string.IsNullOrWhiteSpace(injected))
        {
            ApplyConnectionString(options, injected, reader);
        }

        if (!selected)
        {
            return;
        }

        reader.Require(options.Bucket.Length > 0, "IMG_S3_BUCKET is required when IMG_STORAGE_BACKEND=s3 (or Bucket= in ConnectionStrings__s3).");
        reader.Require(
            options.Endpoint is null || (Uri.TryCreate(options.Endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"),
            $"IMG_S3_ENDPOINT must be an absolute http or https URL; got '{options.Endpoint}'.");
        reader.Require(
            (options.AccessKey is null) == (options.SecretKey is null),
            "IMG_S3_ACCESS_KEY and IMG_S3_SECRET_KEY go together: set both, or neither for the SDK's default credentials.");
    }

    /// <summary>Never the secret.</summary>
    public override string ToString() =>
        $"S3 bucket '{Bucket}' at {Endpoint ?? "AWS " + Region}{(KeyPrefix.Length > 0 ? $", prefix '{KeyPrefix}'" : string.Empty)}";

    private static void ApplyConnectionString(S3StorageOptions options, string connectionString, ImgSettingsReader reader)
    {
        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            // The message could quote the secret: say which setting, not what it holds.
            reader.Require(false, $"ConnectionStrings:{ConnectionStringName} is not a valid connection string (Endpoint=...;Bucket=...;AccessKey=...;SecretKey=...).");
            return;
        }

        string? Value(string key) => builder.TryGetValue(key, out var value) && value is string text && text.Length > 0 ? text : null;
        options.Endpoint = Value("Endpoint") ?? options.Endpoint;
        options.Bucket = Value("Bucket") ?? options.Bucket;
        options.Region = Value("Region") ?? options.Region;
        options.AccessKey = Value("AccessKey") ?? options.AccessKey;
        options.SecretKey = Value("SecretKey") ?? options.SecretKey;
        if (Value("ForcePathStyle") is { } pathStyle)
        {
            options.ForcePathStyle = !string.Equals(pathStyle, "false", StringComparison.OrdinalIgnoreCase);
        }
    }

    private static string NormalisePrefix(string prefix)
    {
        var trimmed = prefix.Trim('/');
        return trimmed.Length == 0 ? string.Empty : trimmed + "/";
    }
}
