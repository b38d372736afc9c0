using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Storage;

/// <summary>
/// Blob store on a (shared) file system. Originals are content-addressed by their full SHA-256
/// (<c>originals/ab/cd/&lt;hash&gt;</c>, FR-1.7); thumbnails are per image
/// (<c>thumbnails/ab/&lt;id&gt;.jpg</c>); derived files (renditions) are under their key
/// (<c>derived/ab/&lt;id&gt;/preview-1024x683.webp</c>, see DerivedKeys); uploads, thumbnails and
/// derived files are written under <c>tmp/</c> and moved
/// into place with an atomic rename on the same file system. Failures of the file system itself (a
/// full disk, a lost mount, permissions) surface as <see cref="StorageUnavailableException"/>: they
/// are faults of the infrastructure, never of an image (NFR-9).
/// </summary>
public sealed class FileSystemBlobStore : IBlobStore
{
    private const int BufferSize = 81920;
    private const string TemporarySuffix = ".part";
    private readonly string _originals;
    private readonly string _thumbnails;
    private readonly string _derived;
    private readonly string _temp;

    public FileSystemBlobStore(IOptions<StorageOptions> options)
    {
        var root = Path.GetFullPath(options.Value.BaseDirectory);
        _originals = Path.Combine(root, "originals");
        _thumbnails = Path.Combine(root, "thumbnails");
        _derived = Path.Combine(root, "derived");
        _temp = Path.Combine(root, "tmp");
        Directory.CreateDirectory(_derived);
        Directory.CreateDirectory(_originals);
        Directory.CreateDirectory(_thumbnails);
        Directory.CreateDirectory(_temp);
    }

    public async Task<StagedBlob> StageAsync(ReadOnlyMemory<byte> prefix, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_temp, $"upload-{Guid.NewGuid():N}{TemporarySuffix}");
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long length = 0;
            await using (var file = Storage(() => new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous)))
            {
                async Task AppendAsync(ReadOnlyMemory<byte> chunk)
                {
                    length += chunk.Length;
                    if (length > maxBytes)
                    {
                        throw new PayloadTooLargeException(maxBytes);
                    }

                    sha.AppendData(chunk.Span);
                    await StorageAsync(() => file.WriteAsync(chunk, cancellationToken).AsTask());
                }

                await AppendAsync(prefix);
                int read;
                // Reading the request is the client's side: its errors are not the store's.
                while ((read = await content.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
                {
                    await AppendAsync(buffer.AsMemory(0, read));
                }

                await StorageAsync(() => file.FlushAsync(cancellationToken));
            }

            return new FileSystemStagedBlob(ContentHash.FromBytes(sha.GetHashAndReset()), length, path);
        }
        catch
        {
            TryDelete(path);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public Stream? OpenOriginal(ContentHash hash) => OpenRead(OriginalPath(hash));

    public Stream? OpenThumbnail(Guid imageId) => OpenRead(ThumbnailPath(imageId));

    public Task WriteThumbnailAsync(Guid imageId, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        WriteAtomicallyAsync(ThumbnailPath(imageId), "thumb", write, cancellationToken);

    public Task WriteDerivedAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        WriteAtomicallyAsync(DerivedPath(key), "derived", write, cancellationToken);

    public Stream? OpenDerived(string key) => OpenRead(DerivedPath(key));

    /// <summary>Deletes an image's derived files: <paramref name="prefix"/> is its <see cref="DerivedKeys.Prefix"/>, a folder here.</summary>
    public Task DeleteDerivedAsync(string prefix, CancellationToken cancellationToken)
    {
        if (!prefix.EndsWith('/'))
        {
            throw new ArgumentException($"'{prefix}' is not a derived file prefix (an image's id and '/').", nameof(prefix));
        }

        var path = DerivedPath(prefix, allowFolder: true);
        Storage(() =>
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }

            return true;
        });
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<string> ListDerivedAsync(DateTimeOffset before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var file in Files(_derived, "*", before))
        {
            cancellationToken.ThrowIfCancellationRequested();
            // derived/ab/<key>: the key is the path below the fan-out folder.
            var relative = Path.GetRelativePath(_derived, file.FullName).Replace(Path.DirectorySeparatorChar, '/');
            var slash = relative.IndexOf('/', StringComparison.Ordinal);
            if (slash == 2)
            {
                yield return relative[3..];
            }
        }

        await Task.CompletedTask;
    }

    private async Task WriteAtomicallyAsync(string final, string kind, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(_temp, $"{kind}-{Guid.NewGuid():N}{TemporarySuffix}");
        try
        {
            var file = Storage(() => new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous));
            try
            {
                await write(new StorageStream(file), cancellationToken);
                await StorageAsync(() => file.FlushAsync(cancellationToken));
            }
            finally
            {
                await DisposeQuietlyAsync(file);
            }

            Storage(() =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(final)!);
                File.Move(temp, final, overwrite: true);
                return true;
            });
        }
        finally
        {
            TryDelete(temp);
        }
    }

    public void DeleteThumbnail(Guid imageId) => File.Delete(ThumbnailPath(imageId));

    public async IAsyncEnumerable<ContentHash> ListOriginalsAsync(DateTimeOffset before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var file in Files(_originals, "*", before))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (file.Name.Length == ContentHash.HexLength && file.Name.All(char.IsAsciiHexDigitLower))
            {
                yield return ContentHash.Parse(file.Name);
            }
        }

        await Task.CompletedTask;
    }

    public async IAsyncEnumerable<Guid> ListThumbnailsAsync(DateTimeOffset before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var file in Files(_thumbnails, "*.jpg", before))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Guid.TryParseExact(Path.GetFileNameWithoutExtension(file.Name), "N", out var id))
            {
                yield return id;
            }
        }

        await Task.CompletedTask;
    }

    public Task<int> DeleteTemporaryFilesAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var deleted = 0;
        foreach (var file in Files(_temp, "*" + TemporarySuffix, before))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryDelete(file.FullName))
            {
                deleted++;
            }
        }

        return Task.FromResult(deleted);
    }

    /// <summary>
    /// Moves a staged upload to its content address unless that blob already exists. The caller
    /// holds the hash's lock. Returns true when this call created the blob.
    /// </summary>
    internal bool Place(StagedBlob staged)
    {
        var blob = (FileSystemStagedBlob)staged;
        var final = OriginalPath(blob.Hash);
        return Storage(() =>
        {
            if (File.Exists(final))
            {
                TryDelete(blob.Path);
                return false;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            File.Move(blob.Path, final, overwrite: false);
            return true;
        });
    }

    /// <summary>Deletes an original; the caller holds the hash's lock and knows no row references it.</summary>
    internal void DeleteOriginal(ContentHash hash) => File.Delete(OriginalPath(hash));

    internal bool OriginalExists(ContentHash hash) => File.Exists(OriginalPath(hash));

    internal string OriginalPath(ContentHash hash) =>
        Path.Combine(_originals, hash.Value[..2], hash.Value[2..4], hash.Value);

    private string ThumbnailPath(Guid imageId)
    {
        var id = imageId.ToString("N");
        return Path.Combine(_thumbnails, id[..2], id + ".jpg");
    }

    /// <summary>
    /// derived/&lt;first two characters&gt;/&lt;key&gt;. Keys are relative paths of lower-case
    /// letters, digits, '-', '_', '.' and '/', never climbing out ("..") nor absolute.
    /// </summary>
    private string DerivedPath(string key, bool allowFolder = false)
    {
        if (key.Length < 3 || key.Contains("..", StringComparison.Ordinal) || key.StartsWith('/') || (!allowFolder && key.EndsWith('/'))
            || !key.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.' or '/'))
        {
            throw new ArgumentException($"'{key}' is not a derived file key.", nameof(key));
        }

        return Path.Combine(_derived, key[..2], key.Replace('/', Path.DirectorySeparatorChar));
    }

    private static IEnumerable<FileInfo> Files(string root, string pattern, DateTimeOffset before) =>
        new DirectoryInfo(root)
            .EnumerateFiles(pattern, new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 })
            .Where(f => f.LastWriteTimeUtc < before.UtcDateTime);

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
            throw Unavailable(ex);
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

    private static T Storage<T>(Func<T> operation)
    {
        try
        {
            return operation();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unavailable(ex);
        }
    }

    private static async Task StorageAsync(Func<Task> operation)
    {
        try
        {
            await operation();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>ENOSPC (28) and EDQUOT (122) on Linux: the disk or the quota is full.</summary>
    internal static bool IsFull(Exception ex) => ex is IOException { HResult: 28 or 122 } || (ex.HResult & 0xFFFF) is 28 or 122 && ex is IOException;

    private static StorageUnavailableException Unavailable(Exception ex) => IsFull(ex)
        ? new StorageUnavailableException("The image store is full.", full: true, ex)
        : new StorageUnavailableException("The image store is not available.", full: false, ex);

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temporary file holds no reference, and reconciliation removes it later.
            return false;
        }
    }

    /// <summary>The thumbnail's file as the processor sees it: its write errors are the store's.</summary>
    private sealed class StorageStream(FileStream inner) : Stream
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

        public override void Flush() => Storage(() =>
        {
            inner.Flush();
            return true;
        });

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void SetLength(long value) => Storage(() =>
        {
            inner.SetLength(value);
            return true;
        });

        public override void Write(byte[] buffer, int offset, int count) => Storage(() =>
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
                throw Unavailable(ex);
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            await StorageAsync(() => inner.WriteAsync(buffer, cancellationToken).AsTask());

        public override Task FlushAsync(CancellationToken cancellationToken) => StorageAsync(() => inner.FlushAsync(cancellationToken));
    }

    private sealed class FileSystemStagedBlob(ContentHash hash, long length, string path) : StagedBlob(hash, length)
    {
        public string Path { get; } = path;

        public override ValueTask DisposeAsync()
        {
            TryDelete(Path);
            return ValueTask.CompletedTask;
        }
    }
}
