using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Storage.S3;

/// <summary>
/// The blob store on an S3-compatible object store (FR-11, ADR 11), with the keys of
/// <see cref="BlobKeys"/> under IMG_S3_KEY_PREFIX. What it guarantees, as the file system does:
/// <list type="bullet">
/// <item>Uploads are hashed while they stream to this node's staging folder (never in memory,
/// NFR-3); once the hash, and so the key, is known, the file goes up in one PUT or, past
/// IMG_S3_MULTIPART_THRESHOLD_MB, in parts. An object appears whole or not at all.</item>
/// <item>Identical bytes are stored once: placing runs under the hash's PostgreSQL lock (ADR 1),
/// asks whether the object exists and writes only when it does not, with <c>If-None-Match: *</c>
/// where the server honours it.</item>
/// <item>No orphan outlives a crash: reconciliation lists <c>originals/</c>, <c>thumbnails/</c> and
/// <c>derived/</c> by LastModified, removes this node's stale staging files and aborts unfinished
/// multipart uploads.</item>
/// <item>Derived files (renditions) are written with one PUT each, read as they are sent, and an
/// image's are deleted by listing its prefix and deleting them in batches (DeleteObjects).</item>
/// <item>The store away or slow (IMG_S3_TIMEOUT_SECONDS, IMG_S3_MAX_RETRIES) is a
/// <see cref="StorageUnavailableException"/>: uploads answer 503, processing waits (NFR-9).</item>
/// </list>
/// </summary>
public sealed partial class S3BlobStore : IBlobStore, IOriginalStore, IDisposable
{
    public const string Backend = "s3";
    private readonly IAmazonS3 _client;
    private readonly S3StorageOptions _options;
    private readonly LocalStaging _staging;
    private readonly StorageTelemetry? _telemetry;
    private readonly TimeProvider _clock;
    private readonly ILogger<S3BlobStore> _logger;

    private readonly bool _ownsClient;

    /// <param name="ownsClient">Whether disposing the store disposes <paramref name="client"/> (not when the container owns it).</param>
    public S3BlobStore(IAmazonS3 client, IOptions<S3StorageOptions> options, StorageTelemetry? telemetry, TimeProvider clock, ILogger<S3BlobStore> logger, bool ownsClient = false)
    {
        _client = client;
        _ownsClient = ownsClient;
        _options = options.Value;
        _staging = new LocalStaging(_options.StagingDirectory);
        _telemetry = telemetry;
        _clock = clock;
        _logger = logger;
    }

    public string Bucket => _options.Bucket;

    internal string StagingDirectory => _staging.Directory;

    /// <summary>This node's staging files older than <paramref name="before"/> (what a killed process left).</summary>
    internal int DeleteStaleStagingFiles(DateTimeOffset before, CancellationToken cancellationToken) =>
        _staging.DeleteOlderThan(before, cancellationToken);

    internal string Key(string relative) => _options.KeyPrefix + relative;

    public async Task<StagedBlob> StageAsync(ReadOnlyMemory<byte> prefix, Stream content, long maxBytes, CancellationToken cancellationToken) =>
        await MeasureAsync("stage", async () => (StagedBlob)await _staging.StageAsync(prefix, content, maxBytes, cancellationToken));

    public Task<Stream?> OpenOriginalAsync(ContentHash hash, CancellationToken cancellationToken) =>
        MeasureAsync("open_original", async () =>
        {
            // A local copy: decoders seek, and the native library opens the file by its path.
            var path = _staging.NewPath("original");
            try
            {
                using var response = await GetAsync(Key(BlobKeys.Original(hash)), range: null, cancellationToken);
                if (response is null)
                {
                    return null;
                }

                await using (var file = FileFaults.Run(() => new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous)))
                {
                    await S3Async(() => CopyToFileAsync(response.ResponseStream, file, cancellationToken), cancellationToken);
                }

                return (Stream?)FileFaults.Run(() => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920,
                    FileOptions.Asynchronous | FileOptions.DeleteOnClose));
            }
            catch
            {
                FileFaults.TryDelete(path);
                throw;
            }
        });

    public Task<Stream?> OpenThumbnailAsync(Guid imageId, CancellationToken cancellationToken) =>
        MeasureAsync("open_thumbnail", () => OpenStreamingAsync(Key(BlobKeys.Thumbnail(imageId)), cancellationToken));

    public Task<Stream?> OpenForDownloadAsync(BlobDownload download, CancellationToken cancellationToken) =>
        MeasureAsync(download.Hash is null ? "open_thumbnail" : "open_original", () => OpenStreamingAsync(KeyOf(download), cancellationToken));

    public async Task<Uri?> GetDownloadUriAsync(BlobDownload download, CancellationToken cancellationToken)
    {
        if (!_options.PresignedDownloads)
        {
            return null;
        }

        var request = new GetPreSignedUrlRequest
        {
            BucketName = _options.Bucket,
            Key = KeyOf(download),
            Verb = HttpVerb.GET,
            Expires = _clock.GetUtcNow().AddSeconds(_options.PresignedExpirySeconds).UtcDateTime,
            Protocol = _options.Endpoint?.StartsWith("http:", StringComparison.OrdinalIgnoreCase) == true ? Protocol.HTTP : Protocol.HTTPS,
        };
        request.ResponseHeaderOverrides.ContentType = download.ContentType;
        request.ResponseHeaderOverrides.ContentDisposition = new System.Net.Mime.ContentDisposition { FileName = download.FileName, Inline = false }.ToString();
        // Signing is local: no request reaches the store.
        return new Uri(await S3Async(() => _client.GetPreSignedURLAsync(request), cancellationToken));
    }

    public Task WriteThumbnailAsync(Guid imageId, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        MeasureAsync("write_thumbnail", () => PutViaStagingAsync(Key(BlobKeys.Thumbnail(imageId)), "image/jpeg", "thumb", "thumbnail", write, cancellationToken));

    public Task WriteDerivedAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var blobKey = Key(BlobKeys.Derived(key));
        return MeasureAsync("write_derived", () => PutViaStagingAsync(blobKey, ContentTypeOf(key), "derived", "derived", write, cancellationToken));
    }

    public Task<Stream?> OpenDerivedAsync(string key, CancellationToken cancellationToken)
    {
        var blobKey = Key(BlobKeys.Derived(key));
        return MeasureAsync("open_derived", () => OpenStreamingAsync(blobKey, cancellationToken));
    }

    /// <summary>
    /// Deletes every object under the image's derived prefix: ListObjectsV2 pages of up to 1000
    /// keys, each deleted with one DeleteObjects (quiet mode: only failures come back). Deleting
    /// none is not an error; a key the store could not delete is a store fault.
    /// </summary>
    public Task DeleteDerivedAsync(string prefix, CancellationToken cancellationToken)
    {
        var folder = Key(BlobKeys.DerivedFolder(prefix));
        return MeasureAsync("delete_derived", async () =>
        {
            var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = folder, MaxKeys = 1000 };
            ListObjectsV2Response page;
            do
            {
                var current = request;
                page = await S3Async(() => _client.ListObjectsV2Async(current, cancellationToken), cancellationToken);
                var keys = (page.S3Objects ?? []).Select(o => new KeyVersion { Key = o.Key }).ToList();
                if (keys.Count > 0)
                {
                    var deleted = await S3Async(
                        () => _client.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = _options.Bucket, Objects = keys, Quiet = true }, cancellationToken),
                        cancellationToken);
                    if (deleted.DeleteErrors is { Count: > 0 } errors)
                    {
                        throw new StorageUnavailableException(
                            $"The image store did not delete {errors.Count} derived file(s) under {folder}.", full: false, new IOException($"{errors[0].Key}: {errors[0].Code} {errors[0].Message}"));
                    }
                }

                request.ContinuationToken = page.NextContinuationToken;
            }
            while (page.IsTruncated == true);
        });
    }

    public IAsyncEnumerable<string> ListDerivedAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        ListAsync(BlobKeys.DerivedPrefix, before, (string key, out string derived) => BlobKeys.TryParseDerived(key, out derived), cancellationToken);

    public Task DeleteThumbnailAsync(Guid imageId, CancellationToken cancellationToken) =>
        MeasureAsync("delete_thumbnail", () => DeleteAsync(Key(BlobKeys.Thumbnail(imageId)), cancellationToken));

    public IAsyncEnumerable<ContentHash> ListOriginalsAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        ListAsync(BlobKeys.OriginalsPrefix, before, (string key, out ContentHash hash) => BlobKeys.TryParseOriginal(key, out hash), cancellationToken);

    public IAsyncEnumerable<Guid> ListThumbnailsAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        ListAsync(BlobKeys.ThumbnailsPrefix, before, (string key, out Guid id) => BlobKeys.TryParseThumbnail(key, out id), cancellationToken);

    public Task<int> DeleteTemporaryFilesAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        MeasureAsync("delete_temporary", async () =>
        {
            var deleted = _staging.DeleteOlderThan(before, cancellationToken);
            return deleted + await AbortStaleMultipartUploadsAsync(before, cancellationToken);
        });

    public Task<bool> PlaceAsync(StagedBlob staged, CancellationToken cancellationToken) =>
        MeasureAsync("place_original", async () =>
        {
            var blob = (LocalStagedBlob)staged;
            var key = Key(BlobKeys.Original(blob.Hash));
            // The caller holds the hash's lock (ADR 1): no other replica decides about this key now.
            if (await ExistsAsync(key, cancellationToken))
            {
                FileFaults.TryDelete(blob.Path);
                return false;
            }

            var created = blob.Length > _options.MultipartThresholdBytes
                ? await PutMultipartAsync(key, blob, cancellationToken)
                : await PutAsync(key, blob, cancellationToken);
            FileFaults.TryDelete(blob.Path);
            if (created)
            {
                _telemetry?.Stored(Backend, "original", blob.Length);
            }

            return created;
        });

    public Task<bool> OriginalExistsAsync(ContentHash hash, CancellationToken cancellationToken) =>
        MeasureAsync("exists_original", () => ExistsAsync(Key(BlobKeys.Original(hash)), cancellationToken));

    public Task DeleteOriginalAsync(ContentHash hash, CancellationToken cancellationToken) =>
        MeasureAsync("delete_original", () => DeleteAsync(Key(BlobKeys.Original(hash)), cancellationToken));

    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    /// <summary>
    /// <paramref name="write"/> fills a staging file, which goes up in one PUT: the object is
    /// replaced whole or not at all (thumbnails and derived files are small).
    /// </summary>
    private async Task PutViaStagingAsync(string key, string contentType, string temporaryKind, string storedKind, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var temp = _staging.NewPath(temporaryKind);
        try
        {
            long length;
            var file = FileFaults.Run(() => new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.Asynchronous));
            await using (file)
            {
                await write(new FileSystemBlobStore.StorageStream(file), cancellationToken);
                await FileFaults.RunAsync(() => file.FlushAsync(cancellationToken));
                length = file.Length;
            }

            await S3Async(() => _client.PutObjectAsync(
                new PutObjectRequest
                {
                    BucketName = _options.Bucket,
                    Key = key,
                    FilePath = temp,
                    ContentType = contentType,
                    UseChunkEncoding = false,
                },
                cancellationToken), cancellationToken);
            _telemetry?.Stored(Backend, storedKind, length);
        }
        finally
        {
            FileFaults.TryDelete(temp);
        }
    }

    /// <summary>The Content-Type a derived file is stored with, from its key's extension.</summary>
    private static string ContentTypeOf(string key) =>
        RenditionFormatExtensions.Parse(Path.GetExtension(key).TrimStart('.')) is { } format ? format.ContentType() : "application/octet-stream";

    private string KeyOf(BlobDownload download) =>
        Key(download.Hash is { } hash ? BlobKeys.Original(hash) : BlobKeys.Thumbnail(download.ImageId!.Value));

    private async Task<Stream?> OpenStreamingAsync(string key, CancellationToken cancellationToken)
    {
        var response = await GetAsync(key, range: null, cancellationToken);
        return response is null ? null : new S3ReadStream(this, key, response);
    }

    /// <summary>GET of an object (or a byte range of it); null when it does not exist.</summary>
    internal async Task<GetObjectResponse?> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.GetObjectAsync(new GetObjectRequest { BucketName = _options.Bucket, Key = key, ByteRange = range }, cancellationToken);
        }
        catch (Exception ex) when (S3Faults.IsNotFound(ex))
        {
            return null;
        }
        catch (Exception ex) when (S3Faults.IsStoreFault(ex, cancellationToken))
        {
            throw S3Faults.Unavailable(ex);
        }
    }

    private async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = key }, cancellationToken);
            return true;
        }
        catch (Exception ex) when (S3Faults.IsNotFound(ex))
        {
            return false;
        }
        catch (Exception ex) when (S3Faults.IsStoreFault(ex, cancellationToken))
        {
            throw S3Faults.Unavailable(ex);
        }
    }

    private Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        S3Async(() => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = key }, cancellationToken), cancellationToken);

    private async Task<bool> PutAsync(string key, LocalStagedBlob blob, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            FilePath = blob.Path,
            ContentType = "application/octet-stream",
            UseChunkEncoding = false,
        };
        if (_options.ConditionalWrites)
        {
            request.IfNoneMatch = "*";
        }

        try
        {
            await _client.PutObjectAsync(request, cancellationToken);
            return true;
        }
        catch (Exception ex) when (S3Faults.IsPreconditionFailed(ex))
        {
            // The store refused to overwrite: those bytes are there already (FR-1.7).
            return false;
        }
        catch (Exception ex) when (S3Faults.IsStoreFault(ex, cancellationToken))
        {
            throw S3Faults.Unavailable(ex);
        }
    }

    /// <summary>
    /// A large original in parts read from the staged file (a part in flight at a time). A failure
    /// aborts the upload; a crash leaves it for reconciliation to abort (or a bucket lifecycle rule).
    /// </summary>
    private async Task<bool> PutMultipartAsync(string key, LocalStagedBlob blob, CancellationToken cancellationToken)
    {
        var initiated = await S3Async(
            () => _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _options.Bucket, Key = key, ContentType = "application/octet-stream" }, cancellationToken),
            cancellationToken);
        var uploadId = initiated.UploadId;
        try
        {
            var parts = new List<PartETag>();
            var partSize = _options.MultipartThresholdBytes;
            for (var (number, position) = (1, 0L); position < blob.Length; number++, position += partSize)
            {
                var part = await S3Async(() => _client.UploadPartAsync(
                    new UploadPartRequest
                    {
                        BucketName = _options.Bucket,
                        Key = key,
                        UploadId = uploadId,
                        PartNumber = number,
                        FilePath = blob.Path,
                        FilePosition = position,
                        PartSize = Math.Min(partSize, blob.Length - position),
                        UseChunkEncoding = false,
                    },
                    cancellationToken), cancellationToken);
                parts.Add(new PartETag(number, part.ETag));
            }

            var complete = new CompleteMultipartUploadRequest { BucketName = _options.Bucket, Key = key, UploadId = uploadId, PartETags = parts };
            if (_options.ConditionalWrites)
            {
                complete.IfNoneMatch = "*";
            }

            try
            {
                await _client.CompleteMultipartUploadAsync(complete, cancellationToken);
                return true;
            }
            catch (Exception ex) when (S3Faults.IsPreconditionFailed(ex))
            {
                await AbortQuietlyAsync(key, uploadId);
                return false;
            }
            catch (Exception ex) when (S3Faults.IsStoreFault(ex, cancellationToken))
            {
                throw S3Faults.Unavailable(ex);
            }
        }
        catch (Exception ex) when (!S3Faults.IsPreconditionFailed(ex))
        {
            await AbortQuietlyAsync(key, uploadId);
            throw;
        }
    }

    private async Task AbortQuietlyAsync(string key, string uploadId)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(_options.TimeoutSeconds));
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = key, UploadId = uploadId }, timeout.Token);
        }
#pragma warning disable CA1031 // Best effort: reconciliation aborts what is left.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogAbortFailed(ex, key);
        }
    }

    private async Task<int> AbortStaleMultipartUploadsAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var aborted = 0;
        ListMultipartUploadsResponse page;
        var request = new ListMultipartUploadsRequest { BucketName = _options.Bucket, Prefix = Key(BlobKeys.OriginalsPrefix) };
        do
        {
            try
            {
                page = await _client.ListMultipartUploadsAsync(request, cancellationToken);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode is System.Net.HttpStatusCode.NotImplemented or System.Net.HttpStatusCode.MethodNotAllowed or System.Net.HttpStatusCode.NotFound)
            {
                // A server without the listing (s3rver): a bucket lifecycle rule is the fallback (README).
                LogNoMultipartListing(ex.ErrorCode);
                return aborted;
            }
            catch (Exception ex) when (S3Faults.IsStoreFault(ex, cancellationToken))
            {
                throw S3Faults.Unavailable(ex);
            }

            foreach (var upload in page.MultipartUploads ?? [])
            {
                if (upload.Initiated is { } initiated && new DateTimeOffset(DateTime.SpecifyKind(initiated, DateTimeKind.Utc)) < before)
                {
                    await S3Async(() => _client.AbortMultipartUploadAsync(
                        new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = upload.Key, UploadId = upload.UploadId }, cancellationToken), cancellationToken);
                    aborted++;
                }
            }

            request.KeyMarker = page.NextKeyMarker;
            request.UploadIdMarker = page.NextUploadIdMarker;
        }
        while (page.IsTruncated == true);

        return aborted;
    }

    private delegate bool KeyParser<T>(string key, out T value);

    private async IAsyncEnumerable<T> ListAsync<T>(string prefix, DateTimeOffset before, KeyParser<T> parse, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = Key(prefix), MaxKeys = 1000 };
        ListObjectsV2Response page;
        do
        {
            var current = request;
            page = await MeasureAsync("list", () => S3Async(() => _client.ListObjectsV2Async(current, cancellationToken), cancellationToken));
            foreach (var item in page.S3Objects ?? [])
            {
                // Keys relative to IMG_S3_KEY_PREFIX, as BlobKeys makes them.
                if (item.LastModified is { } modified
                    && new DateTimeOffset(modified.ToUniversalTime()) < before
                    && item.Key.StartsWith(_options.KeyPrefix, StringComparison.Ordinal)
                    && parse(item.Key[_options.KeyPrefix.Length..], out var value))
                {
                    yield return value;
                }
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);
    }

    private static async Task CopyToFileAsync(Stream source, FileStream file, CancellationToken cancellationToken)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, 81920), cancellationToken)) > 0)
            {
                await FileFaults.RunAsync(() => file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).AsTask());
            }

            await FileFaults.RunAsync(() => file.FlushAsync(cancellationToken));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<T> S3Async<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (S3Faults.IsStoreFault(ex, cancellationToken))
        {
            throw S3Faults.Unavailable(ex);
        }
    }

    private static async Task S3Async(Func<Task> call, CancellationToken cancellationToken) =>
        await S3Async(async () =>
        {
            await call();
            return true;
        }, cancellationToken);

    private Task<T> MeasureAsync<T>(string operation, Func<Task<T>> body) =>
        _telemetry is null ? body() : _telemetry.MeasureAsync(Backend, operation, body);

    private Task MeasureAsync(string operation, Func<Task> body) =>
        _telemetry is null ? body() : _telemetry.MeasureAsync(Backend, operation, body);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not abort the multipart upload of {Key}; reconciliation aborts it later")]
    private partial void LogAbortFailed(Exception exception, string key);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The store does not list multipart uploads ({ErrorCode}); a bucket lifecycle rule must abort unfinished ones")]
    private partial void LogNoMultipartListing(string errorCode);
}
