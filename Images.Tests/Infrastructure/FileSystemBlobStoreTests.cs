using System.Security.Cryptography;
using Images.Application.Common;
using Images.Infrastructure.Storage;
using Images.Tests.Support;
using Microsoft.Extensions.Options;

namespace Images.Tests.Infrastructure;

public sealed class FileSystemBlobStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "images-tests-blobs-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly FileSystemBlobStore _store;

    public FileSystemBlobStoreTests() =>
        _store = new FileSystemBlobStore(Options.Create(new StorageOptions { BaseDirectory = _root }));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string[] TempFiles => Directory.GetFiles(Path.Combine(_root, "tmp"));

    [Fact]
    public async Task StagingHashesTheWholeBodyIncludingThePrefix_FR1_7()
    {
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        await using var staged = await _store.StageAsync(bytes.AsMemory(0, 16), new MemoryStream(bytes[16..]), 1_000_000, CancellationToken.None);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), staged.Hash.Value);
        Assert.Equal(bytes.Length, staged.Length);
        Assert.Single(TempFiles);
    }

    [Fact]
    public async Task DisposingAnUncommittedStageRemovesItsTemporaryFile()
    {
        var staged = await _store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream([1, 2, 3]), 10, CancellationToken.None);
        await staged.DisposeAsync();
        Assert.Empty(TempFiles);
    }

    [Fact]
    public async Task OverTheLimitThrowsAndLeavesNothingBehind_FR1_2()
    {
        var ex = await Assert.ThrowsAsync<PayloadTooLargeException>(() =>
            _store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(new byte[10_001]), 10_000, CancellationToken.None));
        Assert.Equal(10_000, ex.LimitBytes);
        Assert.Empty(TempFiles);
    }

    [Fact]
    public async Task PlacingIdenticalBytesTwiceStoresOneBlob_FR1_7()
    {
        var bytes = RandomNumberGenerator.GetBytes(1000);
        await using var first = await _store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(bytes), 10_000, CancellationToken.None);
        await using var second = await _store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(bytes), 10_000, CancellationToken.None);

        Assert.True(_store.Place(first));
        Assert.False(_store.Place(second));

        var path = _store.OriginalPath(first.Hash);
        Assert.Equal(Path.Combine(_root, "originals", first.Hash.Value[..2], first.Hash.Value[2..4], first.Hash.Value), path);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
        Assert.Single(Directory.GetFiles(Path.Combine(_root, "originals"), "*", SearchOption.AllDirectories));
        Assert.Empty(TempFiles);
    }

    [Fact]
    public async Task ThumbnailsAreWrittenAtomicallyAndCanBeDeleted()
    {
        var id = Guid.NewGuid();
        Assert.Null(_store.OpenThumbnail(id));
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            _store.WriteThumbnailAsync(id, (s, _) => throw new InvalidOperationException("encoder failed"), CancellationToken.None));
        Assert.Null(_store.OpenThumbnail(id));
        Assert.Empty(TempFiles);

        await _store.WriteThumbnailAsync(id, (s, ct) => s.WriteAsync(new byte[] { 9, 9 }, ct).AsTask(), CancellationToken.None);
        await using (var stream = _store.OpenThumbnail(id))
        {
            Assert.Equal(2, stream!.Length);
        }

        _store.DeleteThumbnail(id);
        Assert.Null(_store.OpenThumbnail(id));
        _store.DeleteThumbnail(id);
    }

    [Fact]
    public async Task ReconciliationListingsSeeOnlyFilesOlderThanTheGrace_NFR9()
    {
        var old = await PlaceAsync([1, 2, 3]);
        var young = await PlaceAsync([4, 5, 6]);
        File.SetLastWriteTimeUtc(_store.OriginalPath(old), DateTime.UtcNow.AddHours(-2));
        var oldThumbnail = Guid.NewGuid();
        var youngThumbnail = Guid.NewGuid();
        await _store.WriteThumbnailAsync(oldThumbnail, (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask(), CancellationToken.None);
        await _store.WriteThumbnailAsync(youngThumbnail, (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask(), CancellationToken.None);
        var thumbnailPath = Directory.GetFiles(Path.Combine(_root, "thumbnails"), oldThumbnail.ToString("N") + ".jpg", SearchOption.AllDirectories).Single();
        File.SetLastWriteTimeUtc(thumbnailPath, DateTime.UtcNow.AddHours(-2));
        var staleUpload = Path.Combine(_root, "tmp", "upload-crashed.part");
        var liveUpload = Path.Combine(_root, "tmp", "upload-live.part");
        await File.WriteAllBytesAsync(staleUpload, [1]);
        await File.WriteAllBytesAsync(liveUpload, [1]);
        File.SetLastWriteTimeUtc(staleUpload, DateTime.UtcNow.AddHours(-2));
        var before = DateTimeOffset.UtcNow.AddHours(-1);

        Assert.Equal([old], await _store.ListOriginalsAsync(before, CancellationToken.None).ToListAsync());
        Assert.Equal([oldThumbnail], await _store.ListThumbnailsAsync(before, CancellationToken.None).ToListAsync());
        Assert.Equal(1, await _store.DeleteTemporaryFilesAsync(before, CancellationToken.None));
        Assert.Equal([liveUpload], TempFiles);
        Assert.True(File.Exists(_store.OriginalPath(young)));
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

    private async Task<Images.Domain.Images.ContentHash> PlaceAsync(byte[] bytes)
    {
        await using var staged = await _store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(bytes), 10_000, CancellationToken.None);
        _store.Place(staged);
        return staged.Hash;
    }
}
