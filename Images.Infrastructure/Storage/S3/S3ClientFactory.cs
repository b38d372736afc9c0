using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace Images.Infrastructure.Storage.S3;

/// <summary>The SDK client, configured from <see cref="S3StorageOptions"/> and nothing else (ADR 11).</summary>
internal static class S3ClientFactory
{
    public static AmazonS3Client Create(S3StorageOptions options)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            Timeout = TimeSpan.FromSeconds(options.TimeoutSeconds),
            ConnectTimeout = TimeSpan.FromSeconds(options.ConnectTimeoutSeconds),
            MaxErrorRetry = options.MaxRetries,
            RetryMode = RequestRetryMode.Standard,
            // Checksums only where the API requires them: S3-compatible servers (older MinIO, Ceph,
            // s3rver) do not all understand the SDK's default trailing CRC32 on every upload.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (options.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = options.Region;
            config.UseHttp = endpoint.StartsWith("http:", StringComparison.OrdinalIgnoreCase);
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }

        return options.AccessKey is { } accessKey && options.SecretKey is { } secretKey
            ? new AmazonS3Client(new BasicAWSCredentials(accessKey, secretKey), config)
            : new AmazonS3Client(config);
    }
}
