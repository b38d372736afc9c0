using Images.Domain.Images;

namespace Images.Application.Abstractions;

/// <summary>File storage port: content-addressed originals, per-image thumbnails and derived files (renditions).</summary>
public interface IBlobStore
{
    /// <summary>
    /// Streams <paramref name="content"/> to a temporary file while hashing it (NFR-3). The bytes in
    /// <paramref name="prefix"/> were already read from the same upload and come first. Throws
    /// <see cref="Common.PayloadTooLargeException"/> past <paramref name="maxBytes"/>.
    /// </summary>
    Task<StagedBlob> StageAsync(ReadOnlyMemory<byte> prefix, Stream content, long maxBytes, CancellationToken cancellationToken);

    /// <summary>Opens an original for reading, or null when it does not exist.</summary>
    Stream? OpenOriginal(ContentHash hash);

    /// <summary>Writes a thumbnail atomically: <paramref name="write"/> fills a temporary file that then replaces the old one.</summary>
    Task WriteThumbnailAsync(Guid imageId, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken);

    Stream? OpenThumbnail(Guid imageId);

    void DeleteThumbnail(Guid imageId);

    /// <summary>Originals last written before <paramref name="before"/>, for reconciliation (NFR-9).</summary>
    IAsyncEnumerable<ContentHash> ListOriginalsAsync(DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>Ids of thumbnails last written before <paramref name="before"/>, for reconciliation (NFR-9).</summary>
    IAsyncEnumerable<Guid> ListThumbnailsAsync(DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a derived file (a rendition) atomically under <paramref name="key"/> (see
    /// <see cref="DerivedKeys"/>): <paramref name="write"/> fills a temporary file that then takes
    /// the key's place.
    /// </summary>
    Task WriteDerivedAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken);

    /// <summary>Opens a derived file for reading, or null when it does not exist.</summary>
    Stream? OpenDerived(string key);

    /// <summary>Deletes every derived file whose key starts with <paramref name="prefix"/> (an image's <see cref="DerivedKeys.Prefix"/>).</summary>
    Task DeleteDerivedAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Keys of derived files last written before <paramref name="before"/>, for reconciliation (NFR-9).</summary>
    IAsyncEnumerable<string> ListDerivedAsync(DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>Deletes temporary files (uploads and thumbnails in progress) last written before <paramref name="before"/>; returns how many.</summary>
    Task<int> DeleteTemporaryFilesAsync(DateTimeOffset before, CancellationToken cancellationToken);
}
