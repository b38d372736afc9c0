using System.Runtime.CompilerServices;
using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Storage;

/// <summary>
/// Blob store on a (shared) file system. Originals are content-addressed by their full SHA-256
/// (<c>originals/ab/cd/&lt;hash&gt;</c>, FR-1.7); thumbnails are per image
/// (<c>thumbnails/ab/&lt;id&gt;.jpg</c>); derived files (renditions) under their key
/// (<c>derived/ab/&lt;id&gt;/preview-1024x683.webp</c>), all laid out by <see cref="BlobKeys"/>;
/// uploads, thumbnails and derived files are written under <c>tmp/</c> and moved into place with an
/// atomic rename on the same file system. Failures
/// of the file system itself (a full disk, a lost mount, permissions) surface as
/// <see cref="StorageUnavailableException"/>: they are faults of the infrastructure, never of an
/// image (NFR-9).
/// </summary>
public sealed class FileSystemBlobStore : IBlobStore, IOriginalStore
{
    public const string Backend = "filesystem";
    private const int BufferSize = 81920;
    private readonly string _root;
    private readonly string _originals;
    private readonly string _thumbnails;
    private readonly string _derived;
    private readonly LocalStaging _staging;
    private readonly StorageTelemetry? _telemetry;

    public FileSystemBlobStore(IOptions<StorageOptions> options, StorageTelemetry? telemetry = null)
    {
        _root = Path.GetFullPath(options.Value.BaseDirectory);
        _originals = Path.Combine(_root, "originals");
        _thumbnails = Path.Combine(_root, "thumbnails");
        _derived = Path.Combine(_root, "derived");
        Directory.CreateDirectory(_originals);
        Directory.CreateDirectory(_thumbnails);
        Directory.CreateDirectory(_derived);
        _staging = new LocalStaging(Path.Combine(_root, "tmp"));
        _telemetry = telemetry;
    }

    public async Task<StagedBlob> StageAsync(ReadOnlyMemory<byte> prefix, Stream content, long maxBytes, CancellationToken cancellationToken) =>
        await MeasureAsync("stage", async () => (StagedBlob)await _staging.StageAsync(prefix, content, maxBytes, cancellationToken));

    public Task<Stream?> OpenOriginalAsync(ContentHash hash, CancellationToken cancellationToken) =>
        MeasureAsync("open_original", () => Task.FromResult<Stream?>(OpenRead(OriginalPath(hash))));

    public Task<Stream?> OpenThumbnailAsync(Guid imageId, CancellationToken cancellationToken) =>
        MeasureAsync("open_thumbnail", () => Task.FromResult<Stream?>(OpenRead(PathOf(BlobKeys.Thumbnail(imageId)))));

    public Task<Stream?> OpenForDownloadAsync(BlobDownload download, CancellationToken cancellationToken) =>
        download.Hash is { } hash ? OpenOriginalAsync(hash, cancellationToken) : OpenThumbnailAsync(download.ImageId!.Value, cancellationToken);

    /// <summary>Files are served through the service: no direct address.</summary>
    public Task<Uri?> GetDownloadUriAsync(BlobDownload download, CancellationToken cancellationToken) => Task.FromResult<Uri?>(null);

    public Task WriteThumbnailAsync(Guid imageId, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        MeasureAsync("write_thumbnail", () => WriteAtomicallyAsync(PathOf(BlobKeys.Thumbnail(imageId)), "thumb", "thumbnail", write, cancellationToken));

    public Task WriteDerivedAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var final = PathOf(BlobKeys.Derived(key));
        return MeasureAsync("write_derived", () => WriteAtomicallyAsync(final, "derived", "derived", write, cancellationToken));
    }

    public Task<Stream?> OpenDerivedAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(BlobKeys.Derived(key));
        return MeasureAsync("open_derived", () => Task.FromResult<Stream?>(OpenRead(path)));
    }

    /// <summary>Deletes an image's derived files: <paramref name="prefix"/> is its <see cref="DerivedKeys.Prefix"/>, a folder here.</summary>
    public Task DeleteDerivedAsync(string prefix, CancellationToken cancellationToken)
    {
        var folder = PathOf(BlobKeys.DerivedFolder(prefix));
        return MeasureAsync("delete_derived", () =>
        {
            FileFaults.Run(() =>
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }

                return true;
            });
            return Task.CompletedTask;
        });
    }

    public async IAsyncEnumerable<string> ListDerivedAsync(DateTimeOffset before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var file in FileFaults.Files(_derived, "*", before))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var relative = Path.GetRelativePath(_root, file.FullName).Replace(Path.DirectorySeparatorChar, '/');
            if (BlobKeys.TryParseDerived(relative, out var key))
            {
                yield return key;
            }
        }

        await Task.CompletedTask;
    }

    public Task DeleteThumbnailAsync(Guid imageId, CancellationToken cancellationToken) =>
        MeasureAsync("delete_thumbnail", () =>
        {
            FileFaults.Run(() =>
            {
                File.Delete(PathOf(BlobKeys.Thumbnail(imageId)));
                return true;
            });
            return Task.CompletedTask;
        });

    public async IAsyncEnumerable<ContentHash> ListOriginalsAsync(DateTimeOffset before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var file in FileFaults.Files(_originals, "*", before))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (BlobKeys.TryParseOriginal(file.Name, out var hash))
            {
                yield return hash;
            }
        }

        await Task.CompletedTask;
    }

    public async IAsyncEnumerable<Guid> ListThumbnailsAsync(DateTimeOffset before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var file in FileFaults.Files(_thumbnails, "*" + BlobKeys.ThumbnailExtension, before))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (BlobKeys.TryParseThumbnail(file.Name, out var id))
            {
                yield return id;
            }
        }

        await Task.CompletedTask;
    }

    public Task<int> DeleteTemporaryFilesAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        Task.FromResult(_staging.DeleteOlderThan(before, cancellationToken));

    /// <summary>
    /// Moves a staged upload to its content address unless that blob already exists. The caller
    /// holds the hash's lock. Returns true when this call created the blob.
    /// </summary>
    public Task<bool> PlaceAsync(StagedBlob staged, CancellationToken cancellationToken) =>
        MeasureAsync("place_original", () =>
        {
            var blob = (LocalStagedBlob)staged;
            var final = OriginalPath(blob.Hash);
            var created = FileFaults.Run(() =>
            {
                if (File.Exists(final))
                {
                    FileFaults.TryDelete(blob.Path);
                    return false;
                }

                Directory.CreateDirectory(Path.GetDirectoryName(final)!);
                File.Move(blob.Path, final, overwrite: false);
                return true;
            });
            if (created)
            {
                _telemetry?.Stored(Backend, "original", blob.Length);
            }

            return Task.FromResult(created);
        });

    public Task DeleteOriginalAsync(ContentHash hash, CancellationToken cancellationToken) =>
        MeasureAsync("delete_original", () =>
        {
            FileFaults.Run(() =>
            {
                File.Delete(OriginalPath(hash));
                return true;
            });
            return Task.CompletedTask;
        });

    public Task<bool> OriginalExistsAsync(ContentHash hash, CancellationToken cancellationToken) =>
        Task.FromResult(File.Exists(OriginalPath(hash)));

    /// <summary>Fills a temporary file, then renames it to <paramref name="final"/> (replacing what was there).</summary>
    private async Task WriteAtomicallyAsync(string final, string temporaryKind, string storedKind, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var temp = _staging.NewPath(temporaryKind);
        try
        {
            var file = FileFaults.Run(() => new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous));
            try
            {
                await write(new StorageStream(file), cancellationToken);
                await FileFaults.RunAsync(() => file.FlushAsync(cancellationToken));
            }
            finally
            {
                await DisposeQuietlyAsync(file);
            }

            var length = FileFaults.Run(() =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(final)!);
                var size = new FileInfo(temp).Length;
                File.Move(temp, final, overwrite: true);
                return size;
            });
            _telemetry?.Stored(Backend, storedKind, length);
        }
        finally
        {
            FileFaults.TryDelete(temp);
        }
    }

    internal string OriginalPath(ContentHash hash) => PathOf(BlobKeys.Original(hash));

    private string PathOf(string key) => Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));

    private Task<T> MeasureAsync<T>(string operation, Func<Task<T>> body) =>
        _telemetry is null ? body() : _telemetry.MeasureAsync(Backend, operation, body);

    private Task MeasureAsync(string operation, Func<Task> body) =>
        _telemetry is null ? body() : _telemetry.MeasureAsync(Backend, operation, body);

    private static FileStream? OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, BufferSize,
                FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw FileFaults.Unavailable(ex);
        }
    }

    /// <summary>
    /// Closes a file whose data was flushed already, or whose writing failed: a second flush error
    /// on the way out must not hide the first one (the temporary file is deleted anyway).
    /// </summary>
    private static async ValueTask DisposeQuietlyAsync(FileStream file)
    {
        try
        {
            await file.DisposeAsync();
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A thumbnail's or derived file's file as the processor sees it: its write errors are the store's.</summary>
    internal sealed class StorageStream(FileStream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override void Flush() => FileFaults.Run(() =>
        {
            inner.Flush();
            return true;
        });

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void SetLength(long value) => FileFaults.Run(() =>
        {
            inner.SetLength(value);
            return true;
        });

        public override void Write(byte[] buffer, int offset, int count) => FileFaults.Run(() =>
        {
            inner.Write(buffer, offset, count);
            return true;
        });

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            try
            {
                inner.Write(buffer);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw FileFaults.Unavailable(ex);
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            await FileFaults.RunAsync(() => inner.WriteAsync(buffer, cancellationToken).AsTask());

        public override Task FlushAsync(CancellationToken cancellationToken) => FileFaults.RunAsync(() => inner.FlushAsync(cancellationToken));
    }
}
