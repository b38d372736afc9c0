using System.Buffers;
using System.Security.Cryptography;
using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;
using Images.Infrastructure.Configuration;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Storage;

/// <summary>
/// Blob store on a (shared) file system. Originals are content-addressed by their full SHA-256
/// (<c>originals/ab/cd/&lt;hash&gt;</c>, FR-1.7); thumbnails are per image
/// (<c>thumbnails/ab/&lt;id&gt;.jpg</c>); uploads and thumbnails are written under <c>tmp/</c> and moved
/// into place with an atomic rename on the same file system.
/// </summary>
public sealed class FileSystemBlobStore : IBlobStore
{
    private const int BufferSize = 81920;
    private readonly string _originals;
    private readonly string _thumbnails;
    private readonly string _temp;

    public FileSystemBlobStore(IOptions<StorageOptions> options)
    {
        var root = Path.GetFullPath(options.Value.BaseDirectory);
        _originals = Path.Combine(root, "originals");
        _thumbnails = Path.Combine(root, "thumbnails");
        _temp = Path.Combine(root, "tmp");
        Directory.CreateDirectory(_originals);
        Directory.CreateDirectory(_thumbnails);
        Directory.CreateDirectory(_temp);
    }

    public async Task<StagedBlob> StageAsync(ReadOnlyMemory<byte> prefix, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_temp, $"upload-{Guid.NewGuid():N}.part");
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long length = 0;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
            {
                async Task AppendAsync(ReadOnlyMemory<byte> chunk)
                {
                    length += chunk.Length;
                    if (length > maxBytes)
                    {
                        throw new PayloadTooLargeException(maxBytes);
                    }

                    sha.AppendData(chunk.Span);
                    await file.WriteAsync(chunk, cancellationToken);
                }

                await AppendAsync(prefix);
                int read;
                while ((read = await content.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
                {
                    await AppendAsync(buffer.AsMemory(0, read));
                }
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

    public async Task WriteThumbnailAsync(Guid imageId, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var final = ThumbnailPath(imageId);
        var temp = Path.Combine(_temp, $"thumb-{Guid.NewGuid():N}.part");
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous))
            {
                await write(file, cancellationToken);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            File.Move(temp, final, overwrite: true);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    public void DeleteThumbnail(Guid imageId) => File.Delete(ThumbnailPath(imageId));

    /// <summary>
    /// Moves a staged upload to its content address unless that blob already exists. The caller
    /// holds the hash's lock. Returns true when this call created the blob.
    /// </summary>
    internal bool Place(StagedBlob staged)
    {
        var blob = (FileSystemStagedBlob)staged;
        var final = OriginalPath(blob.Hash);
        if (File.Exists(final))
        {
            TryDelete(blob.Path);
            return false;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        File.Move(blob.Path, final, overwrite: false);
        return true;
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
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary file holds no reference and is harmless.
        }
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
