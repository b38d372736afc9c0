using Images.Domain.Images;

namespace Images.Application.Abstractions;

/// <summary>
/// Blob storage port: content-addressed originals, per-image thumbnails and derived files
/// (renditions, ADR 12), on a file system or an S3-compatible object store (FR-11.1). Every call
/// that can reach a remote store is asynchronous; a store that is away or too slow raises
/// <see cref="Common.StorageUnavailableException"/> (NFR-9), never an exception of its SDK. Where an
/// original goes, and whether it may be deleted, is decided by the repository under the hash's lock
/// (ADR 1), not here.
/// </summary>
public interface IBlobStore
{
    /// <summary>
    /// Streams <paramref name="content"/> to a temporary file while hashing it (NFR-3). The bytes in
    /// <paramref name="prefix"/> were already read from the same upload and come first. Throws
    /// <see cref="Common.PayloadTooLargeException"/> past <paramref name="maxBytes"/>.
    /// </summary>
    Task<StagedBlob> StageAsync(ReadOnlyMemory<byte> prefix, Stream content, long maxBytes, CancellationToken cancellationToken);

    /// <summary>
    /// Opens an original for decoding, or null when it does not exist: a seekable stream, a
    /// <see cref="FileStream"/> from both stores (decoders seek, and the native library opens the
    /// file by its path), which a remote store fills from the object first, on local disk, never in
    /// memory, and deletes when the stream is closed.
    /// </summary>
    Task<Stream?> OpenOriginalAsync(ContentHash hash, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a blob to send to a client, or null when it does not exist: a seekable stream that a
    /// remote store reads as it is sent (a Range request reads only its range).
    /// </summary>
    Task<Stream?> OpenForDownloadAsync(BlobDownload download, CancellationToken cancellationToken);

    /// <summary>Writes a thumbnail atomically: <paramref name="write"/> fills a temporary file that then replaces the old one.</summary>
    Task WriteThumbnailAsync(Guid imageId, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken);

    /// <summary>Opens a thumbnail for reading (a seekable stream read as it goes), or null when it does not exist.</summary>
    Task<Stream?> OpenThumbnailAsync(Guid imageId, CancellationToken cancellationToken);

    /// <summary>Deletes a thumbnail; deleting one that does not exist is not an error.</summary>
    Task DeleteThumbnailAsync(Guid imageId, CancellationToken cancellationToken);

    /// <summary>
    /// A time-limited address from which a client may fetch the blob directly (a presigned URL,
    /// IMG_S3_PRESIGNED_DOWNLOADS), or null when downloads go through the service.
    /// </summary>
    Task<Uri?> GetDownloadUriAsync(BlobDownload download, CancellationToken cancellationToken);

    /// <summary>Originals last written before <paramref name="before"/>, for reconciliation (NFR-9).</summary>
    IAsyncEnumerable<ContentHash> ListOriginalsAsync(DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>Ids of thumbnails last written before <paramref name="before"/>, for reconciliation (NFR-9).</summary>
    IAsyncEnumerable<Guid> ListThumbnailsAsync(DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a derived file (a rendition) atomically under <paramref name="key"/> (see
    /// <see cref="DerivedKeys"/>): <paramref name="write"/> fills a temporary file that then takes
    /// the key's place (a rename on a file system, one PUT on an object store).
    /// </summary>
    Task WriteDerivedAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken);

    /// <summary>Opens a derived file for reading (a seekable stream read as it goes), or null when it does not exist.</summary>
    Task<Stream?> OpenDerivedAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes every derived file whose key starts with <paramref name="prefix"/> (an image's
    /// <see cref="DerivedKeys.Prefix"/>); deleting none is not an error.
    /// </summary>
    Task DeleteDerivedAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Keys of derived files last written before <paramref name="before"/>, for reconciliation (NFR-9).</summary>
    IAsyncEnumerable<string> ListDerivedAsync(DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes temporary files (uploads, thumbnails and derived files in progress, unfinished
    /// multipart uploads) last written before <paramref name="before"/>; returns how many.
    /// </summary>
    Task<int> DeleteTemporaryFilesAsync(DateTimeOffset before, CancellationToken cancellationToken);
}

/// <summary>
/// A blob a client asks for: the original (<see cref="Hash"/>) or the thumbnail of
/// <see cref="ImageId"/>, with the name and type the response should carry. (Renditions are
/// always streamed by the service, ADR 11, so they have no download of this kind.)
/// </summary>
public sealed record BlobDownload(ContentHash? Hash, Guid? ImageId, string ContentType, string FileName)
{
    public static BlobDownload Original(ContentHash hash, string contentType, string fileName) => new(hash, null, contentType, fileName);

    public static BlobDownload Thumbnail(Guid imageId, string contentType, string fileName) => new(null, imageId, contentType, fileName);
}
