using System.Buffers;
using System.Security.Cryptography;
using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;

namespace Images.Infrastructure.Storage;

/// <summary>
/// Uploads staged in a local folder while they are hashed (NFR-3: streamed, never a whole body in
/// memory), and the folder's clean-up. The file-system store stages beside its blobs (so placing is
/// a rename); the S3 store stages on the node's own disk and uploads the file once the hash, and
/// so the key, is known. Errors of the disk are the store's (<see cref="StorageUnavailableException"/>,
/// full for ENOSPC/EDQUOT), never the upload's.
/// </summary>
internal sealed class LocalStaging
{
    public const string TemporarySuffix = ".part";
    private const int BufferSize = 81920;

    public LocalStaging(string directory)
    {
        Directory = Path.GetFullPath(directory);
        FileFaults.Run(() => System.IO.Directory.CreateDirectory(Directory));
    }

    public string Directory { get; }

    public string NewPath(string kind) => Path.Combine(Directory, $"{kind}-{Guid.NewGuid():N}{TemporarySuffix}");

    public async Task<LocalStagedBlob> StageAsync(ReadOnlyMemory<byte> prefix, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        var path = NewPath("upload");
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long length = 0;
            await using (var file = FileFaults.Run(() => new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous)))
            {
                async Task AppendAsync(ReadOnlyMemory<byte> chunk)
                {
                    length += chunk.Length;
                    if (length > maxBytes)
                    {
                        throw new PayloadTooLargeException(maxBytes);
                    }

                    sha.AppendData(chunk.Span);
                    await FileFaults.RunAsync(() => file.WriteAsync(chunk, cancellationToken).AsTask());
                }

                await AppendAsync(prefix);
                int read;
                // Reading the request is the client's side: its errors are not the store's.
                while ((read = await content.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
                {
                    await AppendAsync(buffer.AsMemory(0, read));
                }

                await FileFaults.RunAsync(() => file.FlushAsync(cancellationToken));
            }

            return new LocalStagedBlob(ContentHash.FromBytes(sha.GetHashAndReset()), length, path);
        }
        catch
        {
            FileFaults.TryDelete(path);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Deletes this folder's temporary files last written before <paramref name="before"/> (a crash's leftovers, NFR-9).</summary>
    public int DeleteOlderThan(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var deleted = 0;
        foreach (var file in FileFaults.Files(Directory, "*" + TemporarySuffix, before))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (FileFaults.TryDelete(file.FullName))
            {
                deleted++;
            }
        }

        return deleted;
    }
}

/// <summary>An upload staged in a local file; disposing it deletes what was not moved away.</summary>
internal sealed class LocalStagedBlob(ContentHash hash, long length, string path) : StagedBlob(hash, length)
{
    public string Path { get; } = path;

    public override ValueTask DisposeAsync()
    {
        FileFaults.TryDelete(Path);
        return ValueTask.CompletedTask;
    }
}

/// <summary>File-system errors as the store's faults (NFR-9), and the small file helpers both stores share.</summary>
internal static class FileFaults
{
    public static T Run<T>(Func<T> operation)
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

    public static async Task RunAsync(Func<Task> operation)
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
    public static bool IsFull(Exception ex) => ex is IOException { HResult: 28 or 122 } || (ex.HResult & 0xFFFF) is 28 or 122 && ex is IOException;

    public static StorageUnavailableException Unavailable(Exception ex) => IsFull(ex)
        ? new StorageUnavailableException("The image store is full.", full: true, ex)
        : new StorageUnavailableException("The image store is not available.", full: false, ex);

    public static bool TryDelete(string path)
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

    public static IEnumerable<FileInfo> Files(string root, string pattern, DateTimeOffset before) =>
        new DirectoryInfo(root)
            .EnumerateFiles(pattern, new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 })
            .Where(f => f.LastWriteTimeUtc < before.UtcDateTime);
}
