using System.Security.Cryptography;
using Images.Application.Common;
using Images.Infrastructure.Storage;
using Images.Tests.Support;
using Microsoft.Extensions.Options;

namespace Images.Tests.Infrastructure.Storage;

/// <summary>What only the file system store does: its folder layout and a disk that fills up (the shared guarantees: <see cref="BlobStoreContract"/>).</summary>
public sealed class FileSystemBlobStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "images-tests-blobs-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly FileSystemBlobStore _store;

    public FileSystemBlobStoreTests() =>
        _store = new FileSystemBlobStore(Options.Create(new StorageOptions { BaseDirectory = _root }));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task OriginalsAndThumbnailsLieWhereTheReadmeSays_FR1_7()
    {
        var bytes = RandomNumberGenerator.GetBytes(1000);
        await using var staged = await _store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(bytes), 10_000, CancellationToken.None);
        Assert.True(await _store.PlaceAsync(staged, CancellationToken.None));
        var hash = staged.Hash.Value;
        Assert.Equal(Path.Combine(_root, "originals", hash[..2], hash[2..4], hash), _store.OriginalPath(staged.Hash));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(_store.OriginalPath(staged.Hash)));

        var id = Guid.NewGuid();
        await _store.WriteThumbnailAsync(id, (s, ct) => s.WriteAsync(new byte[] { 9 }, ct).AsTask(), CancellationToken.None);
        var name = id.ToString("N");
        Assert.True(File.Exists(Path.Combine(_root, "thumbnails", name[..2], name + ".jpg")));
    }

    [RootFact]
    public async Task AFullDiskIsTheStoresFaultNotTheUploadsAndLeavesNoTemporaryFile_NFR9()
    {
        using var disk = SmallDisk.Mount(kilobytes: 256);
        var store = new FileSystemBlobStore(Options.Create(new StorageOptions { BaseDirectory = disk.Path }));

        var staging = await Assert.ThrowsAsync<StorageUnavailableException>(() =>
            store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(RandomNumberGenerator.GetBytes(512 * 1024)), 1 << 20, CancellationToken.None));
        Assert.True(staging.IsFull);
        Assert.Empty(Directory.GetFiles(Path.Combine(disk.Path, "tmp")));

        disk.Fill();
        var thumbnail = await Assert.ThrowsAsync<StorageUnavailableException>(() =>
            store.WriteThumbnailAsync(Guid.NewGuid(), (s, ct) => s.WriteAsync(RandomNumberGenerator.GetBytes(64 * 1024), ct).AsTask(), CancellationToken.None));
        Assert.True(thumbnail.IsFull);
        Assert.Empty(Directory.GetFiles(Path.Combine(disk.Path, "tmp")));
    }
}
