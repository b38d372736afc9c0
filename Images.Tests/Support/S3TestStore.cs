using Images.Infrastructure.Storage;
using Images.Infrastructure.Storage.S3;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Images.Tests.Support;

/// <summary>
/// The S3 endpoint the S3 tests run against: by default an s3rver process of the fixture's own; with
/// IMG_TEST_S3_BUCKET set, a real store (MinIO, AWS...) from IMG_TEST_S3_ENDPOINT (empty: AWS),
/// IMG_TEST_S3_REGION, IMG_TEST_S3_ACCESS_KEY, IMG_TEST_S3_SECRET_KEY and IMG_TEST_S3_FORCE_PATH_STYLE
/// (README, "Tests"). Each fixture writes under a key prefix of its own, so runs never see each
/// other's objects, and removes what it wrote when it is done.
/// </summary>
public sealed class S3TestStore : IAsyncDisposable
{
    private readonly List<string> _stagingDirectories = [];

    private S3TestStore(S3Server? server, string endpoint, string region, string bucket, string? accessKey, string? secretKey, bool forcePathStyle)
    {
        Server = server;
        Endpoint = endpoint;
        Region = region;
        Bucket = bucket;
        AccessKey = accessKey;
        SecretKey = secretKey;
        ForcePathStyle = forcePathStyle;
        KeyPrefix = "images-tests-" + Guid.NewGuid().ToString("N")[..12] + "/";
    }

    /// <summary>The s3rver process, or null against an external store (which a test cannot kill).</summary>
    public S3Server? Server { get; }

    public string? Endpoint { get; }

    public string Region { get; }

    public string Bucket { get; }

    public string? AccessKey { get; }

    public string? SecretKey { get; }

    public bool ForcePathStyle { get; }

    public string KeyPrefix { get; }

    public static bool External => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("IMG_TEST_S3_BUCKET"));

    /// <summary>The configured external store when there is one, else a new s3rver.</summary>
    public static async Task<S3TestStore> StartAsync(bool ownServer = false)
    {
        if (External && !ownServer)
        {
            string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
            return new S3TestStore(
                null,
                Env("IMG_TEST_S3_ENDPOINT")!,
                Env("IMG_TEST_S3_REGION") ?? "us-east-1",
                Env("IMG_TEST_S3_BUCKET")!,
                Env("IMG_TEST_S3_ACCESS_KEY"),
                Env("IMG_TEST_S3_SECRET_KEY"),
                !string.Equals(Env("IMG_TEST_S3_FORCE_PATH_STYLE"), "false", StringComparison.OrdinalIgnoreCase));
        }

        var server = await S3Server.StartAsync();
        return new S3TestStore(server, server.Endpoint, "us-east-1", server.Bucket, S3Server.AccessKey, S3Server.SecretKey, forcePathStyle: true);
    }

    /// <summary>The IMG_ settings of a process that uses this store, with a staging folder of its own.</summary>
    public Dictionary<string, string> Settings(string stagingDirectory)
    {
        var settings = new Dictionary<string, string>
        {
            ["IMG_STORAGE_BACKEND"] = "s3",
            ["IMG_S3_REGION"] = Region,
            ["IMG_S3_BUCKET"] = Bucket,
            ["IMG_S3_FORCE_PATH_STYLE"] = ForcePathStyle ? "true" : "false",
            ["IMG_S3_KEY_PREFIX"] = KeyPrefix,
            ["IMG_S3_STAGING_DIR"] = stagingDirectory,
            // A store that is away is noticed within seconds (NFR-9), here and in production alike.
            ["IMG_S3_TIMEOUT_SECONDS"] = "10",
            ["IMG_S3_CONNECT_TIMEOUT_SECONDS"] = "2",
            ["IMG_S3_MAX_RETRIES"] = "1",
        };
        if (Endpoint is not null)
        {
            settings["IMG_S3_ENDPOINT"] = Endpoint;
        }

        if (AccessKey is not null && SecretKey is not null)
        {
            settings["IMG_S3_ACCESS_KEY"] = AccessKey;
            settings["IMG_S3_SECRET_KEY"] = SecretKey;
        }

        return settings;
    }

    public S3StorageOptions Options(string stagingDirectory, Action<S3StorageOptions>? configure = null)
    {
        var options = new S3StorageOptions
        {
            Endpoint = Endpoint,
            Region = Region,
            Bucket = Bucket,
            AccessKey = AccessKey,
            SecretKey = SecretKey,
            ForcePathStyle = ForcePathStyle,
            KeyPrefix = KeyPrefix,
            StagingDirectory = stagingDirectory,
            TimeoutSeconds = 10,
            ConnectTimeoutSeconds = 2,
            MaxRetries = 1,
        };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>An S3 store over this endpoint, staging in a new temporary folder.</summary>
    public S3BlobStore CreateStore(StorageTelemetry? telemetry = null, Action<S3StorageOptions>? configure = null)
    {
        var staging = NewStagingDirectory();
        var options = Options(staging, configure);
        return new S3BlobStore(S3ClientFactory.Create(options), Microsoft.Extensions.Options.Options.Create(options), telemetry, TimeProvider.System, NullLogger<S3BlobStore>.Instance, ownsClient: true);
    }

    public string NewStagingDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "images-tests-s3-staging-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        lock (_stagingDirectories)
        {
            _stagingDirectories.Add(path);
        }

        return path;
    }

    /// <summary>Every key under this fixture's prefix, or under <paramref name="prefix"/> (raw, for checks of the layout).</summary>
    public async Task<List<string>> KeysAsync(string? prefix = null)
    {
        using var client = S3ClientFactory.Create(Options(Path.GetTempPath()));
        var keys = new List<string>();
        var request = new Amazon.S3.Model.ListObjectsV2Request { BucketName = Bucket, Prefix = prefix ?? KeyPrefix };
        Amazon.S3.Model.ListObjectsV2Response page;
        do
        {
            page = await client.ListObjectsV2Async(request);
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);

        return keys;
    }

    public async ValueTask DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
        else
        {
            // An external bucket: remove what this run wrote under its prefix.
            using var client = S3ClientFactory.Create(Options(Path.GetTempPath()));
            foreach (var key in await KeysAsync())
            {
                await client.DeleteObjectAsync(Bucket, key);
            }
        }

        lock (_stagingDirectories)
        {
            foreach (var directory in _stagingDirectories)
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (DirectoryNotFoundException)
                {
                }
            }
        }
    }
}
