using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Application.Maintenance.Reconcile;
using Images.Domain.Images;
using Images.Infrastructure.Persistence;
using Images.Infrastructure.Storage;
using Images.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Images.Tests.Infrastructure.Storage;

/// <summary>
/// FR-11.1: the guarantees of FR-1.4, FR-1.7, FR-4 and NFR-9 that every blob store gives, written
/// once and run against each backend (<see cref="FileSystemBlobStoreContractTests"/>,
/// <see cref="S3BlobStoreContractTests"/>): content-addressed keys, identical bytes stored once,
/// deletion decided in PostgreSQL, nothing left behind by a crash, streamed uploads and ranged reads.
/// The database parts use the real repository on a real PostgreSQL database.
/// </summary>
public abstract class BlobStoreContract : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    protected BlobStoreContract(DatabaseFixture database) => Database = database;

    protected DatabaseFixture Database { get; }

    /// <summary>The store under test; it also places and deletes originals for the repository.</summary>
    protected abstract IBlobStore Store { get; }

    /// <summary>This node's folder of uploads being hashed (and, for S3, originals being decoded).</summary>
    protected abstract string StagingDirectory { get; }

    private IOriginalStore Originals => (IOriginalStore)Store;

    public virtual Task InitializeAsync() => Database.ExecuteAsync("TRUNCATE images, blob_collection_queue, image_count_deltas");

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private string[] StagingFiles => Directory.GetFiles(StagingDirectory);

    [Fact]
    public async Task StagingHashesTheWholeBodyIncludingThePrefix_FR1_7_NFR3()
    {
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        await using var staged = await Store.StageAsync(bytes.AsMemory(0, 16), new MemoryStream(bytes[16..]), 1_000_000, CancellationToken.None);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), staged.Hash.Value);
        Assert.Equal(bytes.Length, staged.Length);
        Assert.Single(StagingFiles);
    }

    [Fact]
    public async Task DisposingAnUncommittedStageLeavesNothing_FR1_4()
    {
        var staged = await Store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream([1, 2, 3]), 10, CancellationToken.None);
        await staged.DisposeAsync();
        Assert.Empty(StagingFiles);
        Assert.Empty(await Store.ListOriginalsAsync(DateTimeOffset.MaxValue, CancellationToken.None).ToListAsync());
    }

    [Fact]
    public async Task OverTheLimitThrowsAndLeavesNothingBehind_FR1_2()
    {
        var ex = await Assert.ThrowsAsync<PayloadTooLargeException>(() =>
            Store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(new byte[10_001]), 10_000, CancellationToken.None));
        Assert.Equal(10_000, ex.LimitBytes);
        Assert.Empty(StagingFiles);
    }

    [Fact]
    public async Task IdenticalBytesArePlacedOnceAtTheirContentAddress_FR1_7()
    {
        var bytes = RandomNumberGenerator.GetBytes(1000);
        await using var first = await Store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(bytes), 10_000, CancellationToken.None);
        await using var second = await Store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(bytes), 10_000, CancellationToken.None);

        Assert.True(await Originals.PlaceAsync(first, CancellationToken.None));
        Assert.False(await Originals.PlaceAsync(second, CancellationToken.None));

        Assert.Equal([first.Hash], await Store.ListOriginalsAsync(DateTimeOffset.MaxValue, CancellationToken.None).ToListAsync());
        Assert.Equal(bytes, await ReadAllAsync(await Store.OpenOriginalAsync(first.Hash, CancellationToken.None)));
        Assert.Empty(StagingFiles);
    }

    [Fact]
    public async Task ALargeUploadStreamsThroughAndReadsBackIntact_NFR3()
    {
        // Past the S3 fixture's multipart threshold (5 MiB): it goes up in three parts there.
        var bytes = RandomNumberGenerator.GetBytes((11 * 1024 * 1024) + 123);
        await using var staged = await Store.StageAsync(bytes.AsMemory(0, 16), new MemoryStream(bytes, 16, bytes.Length - 16), 50L << 20, CancellationToken.None);
        Assert.True(await Originals.PlaceAsync(staged, CancellationToken.None));

        await using var original = await Store.OpenOriginalAsync(staged.Hash, CancellationToken.None);
        Assert.NotNull(original);
        Assert.Equal(bytes.Length, original.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), Convert.ToHexStringLower(await SHA256.HashDataAsync(original)));
    }

    [Fact]
    public async Task OriginalsOpenSeekableForDecodersAndRangedForDownloads_FR3_2()
    {
        var bytes = RandomNumberGenerator.GetBytes(200_000);
        var hash = await PlaceAsync(bytes);

        // Decoders seek back and forth; the native library opens the file by its path.
        await using (var original = await Store.OpenOriginalAsync(hash, CancellationToken.None))
        {
            var file = Assert.IsType<FileStream>(original);
            Assert.True(File.Exists(file.Name));
            original.Position = 150_000;
            Assert.Equal(bytes[150_000..150_100], await ReadAsync(original, 100));
            original.Position = 10;
            Assert.Equal(bytes[10..20], await ReadAsync(original, 10));
        }

        // A download: a Range request seeks to its start and reads its length.
        await using (var download = await Store.OpenForDownloadAsync(BlobDownload.Original(hash, "image/png", "x.png"), CancellationToken.None))
        {
            Assert.NotNull(download);
            Assert.True(download.CanSeek);
            Assert.Equal(bytes.Length, download.Length);
            download.Seek(123_456, SeekOrigin.Begin);
            Assert.Equal(bytes[123_456..123_556], await ReadAsync(download, 100));
            download.Seek(0, SeekOrigin.Begin);
            Assert.Equal(bytes, await ReadAllAsync(download));
        }

        Assert.Empty(StagingFiles);
    }

    [Fact]
    public async Task MissingBlobsOpenAsNull()
    {
        var hash = ContentHash.FromBytes(SHA256.HashData([42]));
        Assert.Null(await Store.OpenOriginalAsync(hash, CancellationToken.None));
        Assert.Null(await Store.OpenThumbnailAsync(Guid.NewGuid(), CancellationToken.None));
        Assert.Null(await Store.OpenForDownloadAsync(BlobDownload.Original(hash, "image/png", "x.png"), CancellationToken.None));
        Assert.Null(await Store.OpenForDownloadAsync(BlobDownload.Thumbnail(Guid.NewGuid(), "image/jpeg", "x.jpg"), CancellationToken.None));
        Assert.False(await Originals.OriginalExistsAsync(hash, CancellationToken.None));
        Assert.Empty(StagingFiles);
    }

    [Fact]
    public async Task ThumbnailsAreReplacedWholeOrNotAtAllAndCanBeDeleted()
    {
        var id = Guid.NewGuid();
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Store.WriteThumbnailAsync(id, async (s, ct) =>
            {
                await s.WriteAsync(new byte[] { 1, 2, 3 }, ct);
                throw new InvalidOperationException("encoder failed");
            }, CancellationToken.None));
        Assert.Null(await Store.OpenThumbnailAsync(id, CancellationToken.None));
        Assert.Empty(StagingFiles);

        await Store.WriteThumbnailAsync(id, (s, ct) => s.WriteAsync(new byte[] { 9, 9 }, ct).AsTask(), CancellationToken.None);
        Assert.Equal([9, 9], await ReadAllAsync(await Store.OpenThumbnailAsync(id, CancellationToken.None)));
        await Store.WriteThumbnailAsync(id, (s, ct) => s.WriteAsync(new byte[] { 7, 7, 7 }, ct).AsTask(), CancellationToken.None);
        Assert.Equal([7, 7, 7], await ReadAllAsync(await Store.OpenForDownloadAsync(BlobDownload.Thumbnail(id, "image/jpeg", "t.jpg"), CancellationToken.None)));
        Assert.Equal([id], await Store.ListThumbnailsAsync(DateTimeOffset.MaxValue, CancellationToken.None).ToListAsync());

        await Store.DeleteThumbnailAsync(id, CancellationToken.None);
        Assert.Null(await Store.OpenThumbnailAsync(id, CancellationToken.None));
        await Store.DeleteThumbnailAsync(id, CancellationToken.None);
        Assert.Empty(StagingFiles);
    }

    [Fact]
    public async Task DerivedFilesAreWrittenWholeReadAsStoredAndDeletedByTheirImagesPrefix_FR8_2_FR4_2()
    {
        var id = Guid.NewGuid();
        var neighbour = Guid.NewGuid();
        var webp = DerivedKeys.Rendition(id, "preview", 1024, 683, RenditionFormat.Webp);
        var avif = DerivedKeys.Rendition(id, "thumbnail", 256, 171, RenditionFormat.Avif);
        var other = DerivedKeys.Rendition(neighbour, "preview", 10, 10, RenditionFormat.Png);
        Assert.Null(await Store.OpenDerivedAsync(webp, CancellationToken.None));

        // A failed encoder leaves nothing under the key, nor in the staging folder.
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Store.WriteDerivedAsync(webp, async (s, ct) =>
            {
                await s.WriteAsync(new byte[] { 1, 2, 3 }, ct);
                throw new InvalidOperationException("encoder failed");
            }, CancellationToken.None));
        Assert.Null(await Store.OpenDerivedAsync(webp, CancellationToken.None));
        Assert.Empty(StagingFiles);

        var bytes = RandomNumberGenerator.GetBytes(70_000);
        await Store.WriteDerivedAsync(webp, (s, ct) => s.WriteAsync(bytes, ct).AsTask(), CancellationToken.None);
        await Store.WriteDerivedAsync(avif, (s, ct) => s.WriteAsync(new byte[] { 5 }, ct).AsTask(), CancellationToken.None);
        await Store.WriteDerivedAsync(other, (s, ct) => s.WriteAsync(new byte[] { 6 }, ct).AsTask(), CancellationToken.None);
        Assert.Empty(StagingFiles);

        // Seekable, as the renditions route hashes the file and then sends it (ADR 10).
        await using (var stream = (await Store.OpenDerivedAsync(webp, CancellationToken.None))!)
        {
            Assert.True(stream.CanSeek);
            Assert.Equal(bytes.Length, stream.Length);
            Assert.Equal(SHA256.HashData(bytes), await SHA256.HashDataAsync(stream));
            stream.Position = 0;
            Assert.Equal(bytes[..100], await ReadAsync(stream, 100));
        }

        Assert.Equal(new[] { webp, avif, other }.Order(StringComparer.Ordinal), (await Store.ListDerivedAsync(DateTimeOffset.MaxValue, CancellationToken.None).ToListAsync()).Order(StringComparer.Ordinal));

        await Store.DeleteDerivedAsync(DerivedKeys.Prefix(id), CancellationToken.None);
        Assert.Null(await Store.OpenDerivedAsync(webp, CancellationToken.None));
        Assert.Null(await Store.OpenDerivedAsync(avif, CancellationToken.None));
        Assert.Equal([6], await ReadAllAsync(await Store.OpenDerivedAsync(other, CancellationToken.None)));
        Assert.Equal([other], await Store.ListDerivedAsync(DateTimeOffset.MaxValue, CancellationToken.None).ToListAsync());

        // Deleting an image with no derived files is not an error; a key that is not one is refused.
        await Store.DeleteDerivedAsync(DerivedKeys.Prefix(id), CancellationToken.None);
        await Assert.ThrowsAsync<ArgumentException>(() => Store.OpenDerivedAsync("../escape", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.DeleteDerivedAsync(id.ToString("N"), CancellationToken.None));
    }

    [Fact]
    public async Task DeletingAnImagesDerivedFilesTakesEveryPageOfThem_FR4_2()
    {
        // More than one ListObjectsV2 page on S3 would need 1000 keys; 30 prove the batching loop and the prefix.
        var id = Guid.NewGuid();
        var keys = Enumerable.Range(1, 30).Select(i => DerivedKeys.Rendition(id, "r" + i, i, i, RenditionFormat.Jpeg)).ToList();
        foreach (var key in keys)
        {
            await Store.WriteDerivedAsync(key, (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask(), CancellationToken.None);
        }

        Assert.Equal(30, (await Store.ListDerivedAsync(DateTimeOffset.MaxValue, CancellationToken.None).ToListAsync()).Count);
        await Store.DeleteDerivedAsync(DerivedKeys.Prefix(id), CancellationToken.None);
        Assert.Empty(await Store.ListDerivedAsync(DateTimeOffset.MaxValue, CancellationToken.None).ToListAsync());
    }

    [Fact]
    public async Task ReconciliationListingsSeeOnlyBlobsOlderThanTheCut_NFR9()
    {
        var old = await PlaceAsync([1, 2, 3]);
        var oldThumbnail = Guid.NewGuid();
        await Store.WriteThumbnailAsync(oldThumbnail, (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask(), CancellationToken.None);
        var oldDerived = DerivedKeys.Rendition(oldThumbnail, "thumbnail", 1, 1, RenditionFormat.Webp);
        await Store.WriteDerivedAsync(oldDerived, (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask(), CancellationToken.None);
        // Object stores keep LastModified to the second.
        await Task.Delay(1100);
        var cut = DateTimeOffset.UtcNow;
        await Task.Delay(1100);
        var young = await PlaceAsync([4, 5, 6]);
        var youngThumbnail = Guid.NewGuid();
        await Store.WriteThumbnailAsync(youngThumbnail, (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask(), CancellationToken.None);
        await Store.WriteDerivedAsync(DerivedKeys.Rendition(youngThumbnail, "thumbnail", 1, 1, RenditionFormat.Webp), (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask(), CancellationToken.None);

        Assert.Equal([old], await Store.ListOriginalsAsync(cut, CancellationToken.None).ToListAsync());
        Assert.Equal([oldDerived], await Store.ListDerivedAsync(cut, CancellationToken.None).ToListAsync());
        Assert.Equal(2, (await Store.ListDerivedAsync(DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None).ToListAsync()).Count);
        Assert.Equal([oldThumbnail], await Store.ListThumbnailsAsync(cut, CancellationToken.None).ToListAsync());
        Assert.Equal(new[] { old, young }.Select(h => h.Value).Order(), (await Store.ListOriginalsAsync(DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None).ToListAsync()).Select(h => h.Value).Order());
        Assert.Equal(2, (await Store.ListThumbnailsAsync(DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None).ToListAsync()).Count);
    }

    [Fact]
    public async Task StaleTemporaryFilesAreDeletedAndLiveOnesKept_NFR9()
    {
        var stale = Path.Combine(StagingDirectory, "upload-crashed.part");
        var live = Path.Combine(StagingDirectory, "upload-live.part");
        await File.WriteAllBytesAsync(stale, [1]);
        await File.WriteAllBytesAsync(live, [1]);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));

        Assert.Equal(1, await Store.DeleteTemporaryFilesAsync(DateTimeOffset.UtcNow.AddHours(-1), CancellationToken.None));
        Assert.Equal([live], StagingFiles);
        File.Delete(live);
    }

    [Fact]
    public async Task ConcurrentUploadsOfIdenticalBytesStoreOneBlob_FR1_7()
    {
        var bytes = RandomNumberGenerator.GetBytes(5000);
        var images = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => AddAsync(bytes)));

        Assert.Single(images.Select(i => i.ContentHash).Distinct());
        Assert.Single(await Store.ListOriginalsAsync(DateTimeOffset.MaxValue, CancellationToken.None).ToListAsync());
        Assert.Equal(8, await Database.ScalarAsync("SELECT count(*) FROM images"));
        Assert.Empty(StagingFiles);
    }

    [Fact]
    public async Task ASharedOriginalOutlivesOneRowAndGoesWithTheLast_FR1_7_FR4_2()
    {
        var shared = RandomNumberGenerator.GetBytes(64);
        var expiring = await AddAsync(shared, ttlHours: 1);
        var keeper = await AddAsync(shared);
        var (repository, db) = NewRepository();
        await using (db)
        {
            Assert.Equal([expiring.Id], (await repository.DeleteExpiredBatchAsync(Now.AddHours(2), 100, CancellationToken.None)).Select(i => i.Id));
            Assert.Equal(new BlobCollection(0, 0), await repository.CollectUnreferencedOriginalsAsync(CancellationToken.None));
            Assert.True(await Originals.OriginalExistsAsync(keeper.ContentHash, CancellationToken.None));

            await Database.ExecuteAsync($"DELETE FROM images WHERE id = '{keeper.Id}'");
            await repository.ScheduleCollectionAsync([keeper.ContentHash], CancellationToken.None);
            Assert.Equal(new BlobCollection(1, 0), await repository.CollectUnreferencedOriginalsAsync(CancellationToken.None));
            Assert.False(await Originals.OriginalExistsAsync(keeper.ContentHash, CancellationToken.None));
        }
    }

    [Fact]
    public async Task AFailedInsertLeavesNeitherRowNorBlob_FR1_4()
    {
        var first = await AddAsync([7, 7, 7]);
        var (repository, db) = NewRepository();
        await using (db)
        {
            var bytes = RandomNumberGenerator.GetBytes(100);
            await using var staged = await Store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(bytes), 1000, CancellationToken.None);
            var clash = Image.Create(first.Id, "y.png", ImageFormat.Png, bytes.Length, staged.Hash, [], null, Now);

            await Assert.ThrowsAnyAsync<Exception>(() => repository.AddAsync(clash, staged, CancellationToken.None));

            Assert.False(await Originals.OriginalExistsAsync(staged.Hash, CancellationToken.None));
            Assert.True(await Originals.OriginalExistsAsync(first.ContentHash, CancellationToken.None));
        }
    }

    [Fact]
    public async Task ReconciliationRemovesWhatACrashLeftAndKeepsWhatRowsReference_NFR9()
    {
        var kept = await AddAsync(RandomNumberGenerator.GetBytes(100));
        await Store.WriteThumbnailAsync(kept.Id, (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask(), CancellationToken.None);
        // A process killed between placing a blob and committing its row, and one killed after the
        // row went (a sweep) but before the thumbnail did; an upload killed half-way.
        var orphan = await PlaceAsync(RandomNumberGenerator.GetBytes(100));
        var deadThumbnail = Guid.NewGuid();
        await Store.WriteThumbnailAsync(deadThumbnail, (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask(), CancellationToken.None);
        // Renditions: a completed image keeps its files; a deleted image's, and those of one that
        // never completed (a crash before its outcome was saved), go.
        var completed = await AddAsync(RandomNumberGenerator.GetBytes(100));
        await Database.ExecuteAsync($"UPDATE images SET status = 'completed' WHERE id = '{completed.Id}'");
        var keptRendition = DerivedKeys.Rendition(completed.Id, "thumbnail", 2, 2, RenditionFormat.Webp);
        var pendingRendition = DerivedKeys.Rendition(kept.Id, "thumbnail", 2, 2, RenditionFormat.Webp);
        var deadRendition = DerivedKeys.Rendition(deadThumbnail, "thumbnail", 2, 2, RenditionFormat.Webp);
        foreach (var key in new[] { keptRendition, pendingRendition, deadRendition })
        {
            await Store.WriteDerivedAsync(key, (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask(), CancellationToken.None);
        }

        var halfUpload = Path.Combine(StagingDirectory, "upload-crashed.part");
        await File.WriteAllBytesAsync(halfUpload, [1]);
        File.SetLastWriteTimeUtc(halfUpload, DateTime.UtcNow.AddHours(-2));

        // Two hours on, everything above is past the grace.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(2));
        var (repository, db) = NewRepository();
        await using (db)
        {
            var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            using var metrics = new ImagesMetrics(services.GetRequiredService<IMeterFactory>());
            var handler = new ReconcileStorageHandler(repository, Store, metrics,
                Microsoft.Extensions.Options.Options.Create(new ReconciliationOptions { OrphanGraceSeconds = 3600 }), clock, NullLogger<ReconcileStorageHandler>.Instance);

            Assert.Equal(new ReconcileResult(1, 1, 1, 2), await handler.HandleAsync(CancellationToken.None));
        }

        Assert.False(await Originals.OriginalExistsAsync(orphan, CancellationToken.None));
        Assert.True(await Originals.OriginalExistsAsync(kept.ContentHash, CancellationToken.None));
        Assert.NotNull(await Store.OpenThumbnailAsync(kept.Id, CancellationToken.None));
        Assert.Null(await Store.OpenThumbnailAsync(deadThumbnail, CancellationToken.None));
        Assert.Equal([keptRendition], await Store.ListDerivedAsync(DateTimeOffset.MaxValue, CancellationToken.None).ToListAsync());
        Assert.Empty(StagingFiles);
    }

    protected async Task<ContentHash> PlaceAsync(byte[] bytes)
    {
        await using var staged = await Store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(bytes), 1 << 20, CancellationToken.None);
        await Originals.PlaceAsync(staged, CancellationToken.None);
        return staged.Hash;
    }

    private (ImageRepository Repository, ImagesDbContext Db) NewRepository()
    {
        var db = Database.CreateDbContext();
        return (new ImageRepository(db, Originals, new EfUnitOfWork(db, NullLogger<EfUnitOfWork>.Instance), NullLogger<ImageRepository>.Instance), db);
    }

    private async Task<Image> AddAsync(byte[] bytes, int? ttlHours = null)
    {
        var (repository, db) = NewRepository();
        await using (db)
        {
            await using var staged = await Store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(bytes), 1 << 20, CancellationToken.None);
            var image = Image.Create(Guid.NewGuid(), "x.png", ImageFormat.Png, bytes.Length, staged.Hash, ["t"], ttlHours, Now);
            await repository.AddAsync(image, staged, CancellationToken.None);
            return image;
        }
    }

    protected static async Task<byte[]> ReadAllAsync(Stream? stream)
    {
        Assert.NotNull(stream);
        await using (stream)
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            return buffer.ToArray();
        }
    }

    private static async Task<byte[]> ReadAsync(Stream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer);
        return buffer;
    }
}
