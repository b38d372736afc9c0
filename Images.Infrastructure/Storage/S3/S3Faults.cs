using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Images.Application.Common;

namespace Images.Infrastructure.Storage.S3;

/// <summary>
/// Tells the S3 store's own faults (unreachable, slow past IMG_S3_TIMEOUT_SECONDS, refusing, full)
/// from a cancelled call: the first become <see cref="StorageUnavailableException"/>, which
/// uploads answer 503 (507 when full) and processing waits out (NFR-9); no SDK exception leaves the
/// adapter. A missing object is not a fault: callers ask <see cref="IsNotFound"/> first.
/// </summary>
internal static class S3Faults
{
    /// <summary>
    /// The object is not there. A missing bucket is not that: it is the store's fault (a deleted or
    /// misnamed bucket must not turn every image into "original missing", NFR-9).
    /// </summary>
    public static bool IsNotFound(Exception ex) =>
        ex is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound } s3 && s3.ErrorCode is not "NoSuchBucket";

    public static bool IsPreconditionFailed(Exception ex) =>
        ex is AmazonS3Exception { StatusCode: HttpStatusCode.PreconditionFailed } || ex is AmazonS3Exception { ErrorCode: "PreconditionFailed" };

    /// <summary>Whether <paramref name="ex"/> is the store's fault, as opposed to the caller cancelling.</summary>
    public static bool IsStoreFault(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        StorageUnavailableException => false,
        // A timeout surfaces as a cancellation that nobody asked for.
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        AmazonServiceException or AmazonClientException or HttpRequestException or SocketException or IOException or TimeoutException => true,
        _ => false,
    };

    public static StorageUnavailableException Unavailable(Exception ex) => IsFull(ex)
        ? new StorageUnavailableException("The image store is full.", full: true, ex)
        : new StorageUnavailableException("The image store is not available.", full: false, ex);

    /// <summary>507 Insufficient Storage, MinIO's XMinioStorageFull, a quota.</summary>
    private static bool IsFull(Exception ex) =>
        ex is AmazonS3Exception { StatusCode: HttpStatusCode.InsufficientStorage }
        || ex is AmazonS3Exception { ErrorCode: "XMinioStorageFull" or "QuotaExceeded" or "XMinioAdminBucketQuotaExceeded" };
}
