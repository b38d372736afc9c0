using Amazon.S3;
using Images.Application.Common;
using Amazon.S3.Model;
using Amazon.S3.Util;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Storage.S3;

/// <summary>
/// At start-up: says once which store this process uses (never the secret); removes what a
/// process killed on this node left in the staging folder (a half-staged upload, a local copy
/// being decoded) once it is older than IMG_ORPHAN_GRACE_SECONDS, since only the Api reconciles
/// and a Worker's folder (an emptyDir outlives a container restart) is its own (NFR-9); and with
/// IMG_S3_CREATE_BUCKET creates the bucket when it is missing (a development MinIO), trying again
/// while the store is not up yet. Uploads meanwhile answer 503, as with any store that is away.
/// </summary>
internal sealed partial class S3StoreStartup(
    IAmazonS3 client,
    S3BlobStore store,
    IOptions<S3StorageOptions> options,
    IOptions<ReconciliationOptions> reconciliation,
    TimeProvider clock,
    ILogger<S3StoreStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        LogStore(settings.ToString());
        var stale = store.DeleteStaleStagingFiles(clock.GetUtcNow().AddSeconds(-reconciliation.Value.OrphanGraceSeconds), stoppingToken);
        if (stale > 0)
        {
            LogStale(stale, store.StagingDirectory);
        }

        if (!settings.CreateBucket)
        {
            return;
        }

        var delay = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await AmazonS3Util.DoesS3BucketExistV2Async(client, settings.Bucket))
                {
                    await client.PutBucketAsync(new PutBucketRequest { BucketName = settings.Bucket }, stoppingToken);
                    LogCreated(settings.Bucket);
                }

                return;
            }
            catch (AmazonS3Exception ex) when (ex.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
            {
                return;
            }
            catch (Exception ex) when (S3Faults.IsStoreFault(ex, stoppingToken))
            {
                LogNotYet(ex, settings.Bucket, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Blob store: {Store}")]
    private partial void LogStore(string store);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed {Count} stale files a killed process left in {Directory}")]
    private partial void LogStale(int count, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the bucket {Bucket}")]
    private partial void LogCreated(string bucket);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not check or create the bucket {Bucket}; trying again in {Seconds} s")]
    private partial void LogNotYet(Exception exception, string bucket, double seconds);
}
