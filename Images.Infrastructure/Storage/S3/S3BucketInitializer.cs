using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Util;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Storage.S3;

/// <summary>
/// Says once which store this process uses (never the secret), and with IMG_S3_CREATE_BUCKET
/// creates the bucket when it is missing (a development MinIO), trying again while the store is
/// not up yet. Uploads meanwhile answer 503, as with any store that is away.
/// </summary>
internal sealed partial class S3BucketInitializer(IAmazonS3 client, IOptions<S3StorageOptions> options, ILogger<S3BucketInitializer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        LogStore(settings.ToString());
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the bucket {Bucket}")]
    private partial void LogCreated(string bucket);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not check or create the bucket {Bucket}; trying again in {Seconds} s")]
    private partial void LogNotYet(Exception exception, string bucket, double seconds);
}
