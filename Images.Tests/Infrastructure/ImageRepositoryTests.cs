using System.Security.Cryptography;
using Images.Application.Abstractions;
using Images.Domain.Images;
using Images.Infrastructure.Messaging;
using Images.Infrastructure.Persistence;
using Images.Infrastructure.Storage;
using Images.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Microsoft.Extensions.Options;

namespace Images.Tests.Infrastructure;

/// <summary>The PostgreSQL adapter against a real database and real files.</summary>
public sealed class ImageRepositoryTests : IClassFixture<DatabaseFixture>, IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private readonly DatabaseFixture _database;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "images-tests-repo-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly FileSystemBlobStore _store;

    public ImageRepositoryTests(DatabaseFixture database)
    {
        _database = database;
        _store = new FileSystemBlobStore(Options.Create(new StorageOptions { BaseDirectory = _root }));
        _database.ExecuteAsync("TRUNCATE images, blob_collection_queue, image_count_deltas").GetAwaiter().GetResult();
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private (ImageRepository Repository, ImagesDbContext Db) NewRepository()
    {
        var db = _database.CreateDbContext();
        return (new ImageRepository(db, _store, new EfUnitOfWork(db, NullLogger<EfUnitOfWork>.Instance), NullLogger<ImageRepository>.Instance), db);
    }

    private async Task<Image> AddAsync(byte[] bytes, int? ttlHours = null, DateTimeOffset? createdAt = null)
    {
        var (repository, db) = NewRepository();
        await using (db)
        {
            await using var staged = await _store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(bytes), 1 << 20, CancellationToken.None);
            var image = Image.Create(Guid.NewGuid(), "x.png", ImageFormat.Png, bytes.Length, staged.Hash, ["t"], ttlHours, createdAt ?? Now);
            await repository.AddAsync(image, staged, CancellationToken.None);
            return image;
        }
    }

    private bool BlobExists(ContentHash hash) => File.Exists(_store.OriginalPath(hash));

    [Fact]
    public async Task AddedImageRoundTripsWithTagsAndTimes()
    {
        var image = await AddAsync([1, 2, 3], ttlHours: 2);
        var (repository, db) = NewRepository();
        await using (db)
        {
            var loaded = await repository.GetAsync(image.Id, CancellationToken.None);
            Assert.NotNull(loaded);
            Assert.Equal(["t"], loaded.Tags);
            Assert.Equal(image.ContentHash, loaded.ContentHash);
            Assert.Equal(Now.AddHours(2), loaded.ExpiresAt);
            Assert.Equal(ImageStatus.Pending, loaded.Status);
        }
    }

    [Fact]
    public async Task IdenticalBytesAreStoredOnceForManyRows_FR1_7()
    {
        var bytes = RandomNumberGenerator.GetBytes(5000);
        var images = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => AddAsync(bytes)));

        Assert.Single(images.Select(i => i.ContentHash).Distinct());
        Assert.Single(Directory.GetFiles(Path.Combine(_root, "originals"), "*", SearchOption.AllDirectories));
        Assert.Equal(8, await _database.ScalarAsync("SELECT count(*) FROM images"));
    }

    [Fact]
    public async Task FailedInsertLeavesNeitherRowNorBlob_FR1_4()
    {
        var first = await AddAsync([7, 7, 7]);
        var (repository, db) = NewRepository();
        await using (db)
        {
            var bytes = RandomNumberGenerator.GetBytes(100);
            await using var staged = await _store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(bytes), 1000, CancellationToken.None);
            // Same primary key as an existing row: the insert fails after the blob was placed.
            var clash = Image.Create(first.Id, "y.png", ImageFormat.Png, bytes.Length, staged.Hash, [], null, Now);

            await Assert.ThrowsAnyAsync<Exception>(() => repository.AddAsync(clash, staged, CancellationToken.None));

            Assert.False(BlobExists(staged.Hash));
            Assert.True(BlobExists(first.ContentHash));
            Assert.Equal(1, await _database.ScalarAsync("SELECT count(*) FROM images"));
            Assert.Equal(0, await _database.ScalarAsync("SELECT count(*) FROM blob_collection_queue"));
        }
    }

    [Fact]
    public async Task ListIsNewestFirstWithTotalsFromTheCountDeltas_FR3_4_FR3_5()
    {
        for (var i = 0; i < 5; i++)
        {
            await AddAsync([(byte)i], createdAt: Now.AddMinutes(i));
        }

        var (repository, db) = NewRepository();
        await using (db)
        {
            var (page, total) = await repository.ListAsync(ImageListFilter.All, 1, 2, CancellationToken.None);
            Assert.Equal(5, total);
            Assert.Equal([Now.AddMinutes(3), Now.AddMinutes(2)], page.Select(i => i.CreatedAt));

            var claimed = await repository.GetAsync(page[0].Id, CancellationToken.None);
            claimed!.StartProcessing(Now, Lease, "test");
            Assert.Equal(SaveResult.Saved, await repository.UpdateAsync(claimed, CancellationToken.None));

            Assert.Equal(1, (await repository.ListAsync(new ImageListFilter(ImageStatus.Processing), 0, 10, CancellationToken.None)).Total);
            Assert.Equal(4, (await repository.ListAsync(new ImageListFilter(ImageStatus.Pending), 0, 10, CancellationToken.None)).Total);
            Assert.Equal(0, (await repository.ListAsync(new ImageListFilter(ImageStatus.Failed), 0, 10, CancellationToken.None)).Total);

            await _database.ExecuteAsync("SELECT compact_image_count_deltas()");
            Assert.Equal(2, await _database.ScalarAsync("SELECT count(*) FROM image_count_deltas"));
            Assert.Equal(5, (await repository.ListAsync(ImageListFilter.All, 0, 10, CancellationToken.None)).Total);
        }
    }

    [Fact]
    public async Task ListUsesTheIndexesNotASequentialScan_NFR3()
    {
        var plan = await _database.ScalarTextAsync(
            "EXPLAIN SELECT * FROM images WHERE status = 'pending' ORDER BY created_at DESC, id DESC LIMIT 50");
        Assert.Contains("ix_images_status_created_at", plan, StringComparison.Ordinal);
        var expiry = await _database.ScalarTextAsync(
            "EXPLAIN SELECT id FROM images WHERE expires_at IS NOT NULL AND expires_at <= now() ORDER BY expires_at LIMIT 100");
        Assert.Contains("ix_images_expires_at", expiry, StringComparison.Ordinal);
        Assert.Equal(1, await _database.ScalarAsync(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_images_expires_at' AND indexdef LIKE '%WHERE (expires_at IS NOT NULL)%'"));
    }

    [Fact]
    public async Task ConcurrentClaimsOfOneImageLetOnlyOneWin()
    {
        var image = await AddAsync([4, 2]);
        var (first, db1) = NewRepository();
        var (second, db2) = NewRepository();
        await using (db1)
        await using (db2)
        {
            var a = (await first.GetAsync(image.Id, CancellationToken.None))!;
            var b = (await second.GetAsync(image.Id, CancellationToken.None))!;
            a.StartProcessing(Now, Lease, "test");
            b.StartProcessing(Now, Lease, "test");
            Assert.Equal(SaveResult.Saved, await first.UpdateAsync(a, CancellationToken.None));
            Assert.Equal(SaveResult.Conflict, await second.UpdateAsync(b, CancellationToken.None));
        }
    }

    [Fact]
    public async Task UpdateOfADeletedRowReportsGone()
    {
        var image = await AddAsync([9]);
        var (repository, db) = NewRepository();
        await using (db)
        {
            var loaded = (await repository.GetAsync(image.Id, CancellationToken.None))!;
            await _database.ExecuteAsync($"DELETE FROM images WHERE id = '{image.Id}'");
            loaded.StartProcessing(Now, Lease, "test");
            Assert.Equal(SaveResult.Gone, await repository.UpdateAsync(loaded, CancellationToken.None));
        }
    }

    [Fact]
    public async Task SweepDeletesExpiredRowsAndOnlyUnsharedOriginals_FR4_2_FR1_7()
    {
        var shared = RandomNumberGenerator.GetBytes(64);
        var expiredShared = await AddAsync(shared, ttlHours: 1);
        var keeper = await AddAsync(shared);
        var expiredAlone = await AddAsync(RandomNumberGenerator.GetBytes(64), ttlHours: 1);
        var fresh = await AddAsync(RandomNumberGenerator.GetBytes(64), ttlHours: 100);

        var (repository, db) = NewRepository();
        await using (db)
        {
            var deleted = await repository.DeleteExpiredBatchAsync(Now.AddHours(2), 100, CancellationToken.None);
            var collected = await repository.CollectUnreferencedOriginalsAsync(CancellationToken.None);

            Assert.Equal(new[] { expiredAlone.Id, expiredShared.Id }.Order(), deleted.Select(i => i.Id).Order());
            Assert.Equal(new BlobCollection(1, 0), collected);
            Assert.True(BlobExists(keeper.ContentHash));
            Assert.False(BlobExists(expiredAlone.ContentHash));
            Assert.True(BlobExists(fresh.ContentHash));
            Assert.Equal(2, await _database.ScalarAsync("SELECT count(*) FROM images"));
            Assert.Equal(0, await _database.ScalarAsync("SELECT count(*) FROM blob_collection_queue"));
        }
    }

    [Fact]
    public async Task ConcurrentSweepsNeverDeleteTheSameImageTwice_FR4_5()
    {
        var expired = new List<Image>();
        for (var i = 0; i < 60; i++)
        {
            expired.Add(await AddAsync(RandomNumberGenerator.GetBytes(32), ttlHours: 1));
        }

        var sweeps = Enumerable.Range(0, 4).Select(async _ =>
        {
            var (repository, db) = NewRepository();
            await using (db)
            {
                var mine = new List<Guid>();
                IReadOnlyList<Image> batch;
                do
                {
                    batch = await repository.DeleteExpiredBatchAsync(Now.AddHours(2), 7, CancellationToken.None);
                    mine.AddRange(batch.Select(i => i.Id));
                    await repository.CollectUnreferencedOriginalsAsync(CancellationToken.None);
                }
                while (batch.Count > 0);
                return mine;
            }
        });
        var results = await Task.WhenAll(sweeps);

        var all = results.SelectMany(r => r).ToList();
        Assert.Equal(60, all.Count);
        Assert.Equal(60, all.Distinct().Count());
        Assert.All(expired, e => Assert.False(BlobExists(e.ContentHash)));
        Assert.Equal(0, await _database.ScalarAsync("SELECT count(*) FROM images"));
    }

    [Fact]
    public async Task UploadRacingASweepOfTheSameBytesKeepsItsBlob_FR1_7()
    {
        // A sweep removes the last old row of some bytes while new uploads of the same bytes land:
        // whatever the interleaving, every committed row must find its blob.
        for (var round = 0; round < 10; round++)
        {
            var bytes = RandomNumberGenerator.GetBytes(256);
            await AddAsync(bytes, ttlHours: 1);
            var sweep = Task.Run(async () =>
            {
                var (repository, db) = NewRepository();
                await using (db)
                {
                    await repository.DeleteExpiredBatchAsync(Now.AddHours(2), 100, CancellationToken.None);
                    await repository.CollectUnreferencedOriginalsAsync(CancellationToken.None);
                }
            });
            var upload = Task.Run(() => AddAsync(bytes));
            await Task.WhenAll(sweep, upload);
            Assert.True(BlobExists((await upload).ContentHash), $"round {round}: the new row's blob was deleted");
        }
    }

    [Fact]
    public async Task RecoverableListsPendingAndLapsedProcessingOnly()
    {
        var pending = await AddAsync([1]);
        var stale = await AddAsync([2]);
        var busy = await AddAsync([3]);
        var (repository, db) = NewRepository();
        await using (db)
        {
            var s = (await repository.GetAsync(stale.Id, CancellationToken.None))!;
            s.StartProcessing(Now.AddMinutes(-30), Lease, "test");
            var b = (await repository.GetAsync(busy.Id, CancellationToken.None))!;
            b.StartProcessing(Now, Lease, "test");
            await repository.UpdateAsync(b, CancellationToken.None);

            var ids = await repository.ListRecoverableAsync(Now, Now, 100, CancellationToken.None);
            Assert.Equal(new[] { stale.Id }, await repository.ListRecoverableAsync(Now.AddMinutes(-1), Now, 100, CancellationToken.None));
            Assert.Equal(new[] { pending.Id, stale.Id }.Order(), ids.Order());
        }
    }

    [Fact]
    public async Task ALeaseRenewalMovesOnlyTheLeaseSoTheHolderStillSavesItsOutcome_NFR9()
    {
        var image = await AddAsync([5, 5]);
        await using var services = Services();
        var leases = new ProcessingLeases(services.GetRequiredService<IServiceScopeFactory>());
        var (repository, db) = NewRepository();
        await using (db)
        {
            var claimed = (await repository.GetAsync(image.Id, CancellationToken.None))!;
            claimed.StartProcessing(Now, Lease, "holder-a");
            Assert.Equal(SaveResult.Saved, await repository.UpdateAsync(claimed, CancellationToken.None));

            Assert.True(await leases.RenewAsync(image.Id, "holder-a", Now.AddMinutes(5), CancellationToken.None));
            Assert.False(await leases.RenewAsync(image.Id, "holder-b", Now.AddMinutes(9), CancellationToken.None));
            Assert.Equal(Now.AddMinutes(5), await LeaseExpiresAtAsync(image.Id));

            claimed.Complete(new ImageMetadata(1, 1, ImageFormat.Png, 3, false), Now.AddMinutes(1));
            Assert.Equal(SaveResult.Saved, await repository.UpdateAsync(claimed, CancellationToken.None));
            Assert.False(await leases.RenewAsync(image.Id, "holder-a", Now.AddMinutes(9), CancellationToken.None));
        }
    }

    [Fact]
    public async Task ATakeoverMakesTheFormerHoldersOutcomeAConflict_NFR9()
    {
        var image = await AddAsync([6, 6]);
        var (former, db1) = NewRepository();
        var (successor, db2) = NewRepository();
        await using (db1)
        await using (db2)
        {
            var mine = (await former.GetAsync(image.Id, CancellationToken.None))!;
            mine.StartProcessing(Now, Lease, "slow-holder");
            await former.UpdateAsync(mine, CancellationToken.None);

            var theirs = (await successor.GetAsync(image.Id, CancellationToken.None))!;
            Assert.True(theirs.Reclaim(Now + Lease, maxAttempts: 3));
            theirs.StartProcessing(Now + Lease, Lease, "successor");
            Assert.Equal(SaveResult.Saved, await successor.UpdateAsync(theirs, CancellationToken.None));

            mine.Complete(new ImageMetadata(1, 1, ImageFormat.Png, 3, false), Now + Lease);
            Assert.Equal(SaveResult.Conflict, await former.UpdateAsync(mine, CancellationToken.None));
        }
    }

    [Fact]
    public async Task RecoveryFindsLapsedLeasesThroughTheStatusIndex_NFR3_NFR9()
    {
        // The rows in processing are few; the status index reaches them without scanning the table.
        var plan = await _database.ScalarTextAsync("""
            EXPLAIN SELECT id FROM images
            WHERE (status = 'pending' AND updated_at <= now()) OR (status = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= now()))
            ORDER BY created_at LIMIT 500
            """);
        Assert.Contains("ix_images_status_created_at", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan on images", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASweepRacingTheCollectorOverOneHashStillGetsItsBlobCollected_FR4_5()
    {
        // A collector is deciding about hash H: it holds H's lock and H's queue entry, and it sees the
        // expired row still there, so it keeps the blob. The sweep deletes that row meanwhile. Before
        // the fix the sweep's queue insert met the collector's entry and did nothing; the collector
        // then removed the entry and the blob stayed forever with no row and no entry.
        var image = await AddAsync(RandomNumberGenerator.GetBytes(64), ttlHours: 1);
        var hash = image.ContentHash;
        await using var collector = new NpgsqlConnection(_database.ConnectionString);
        await collector.OpenAsync();
        await using var transaction = await collector.BeginTransactionAsync();
        await Sql(collector, $"INSERT INTO blob_collection_queue (content_hash, enqueued_at) VALUES ('{hash.Value}', now())");
        await Sql(collector, $"SELECT pg_advisory_xact_lock({hash.LockKey})");
        Assert.Equal(1L, await Sql(collector, $"SELECT count(*) FROM images WHERE content_hash = '{hash.Value}'"));

        var sweep = Task.Run(async () =>
        {
            var (repository, db) = NewRepository();
            await using (db)
            {
                return await repository.DeleteExpiredBatchAsync(Now.AddHours(2), 100, CancellationToken.None);
            }
        });
        await WaitForLockWaitAsync();
        await Sql(collector, $"DELETE FROM blob_collection_queue WHERE content_hash = '{hash.Value}'");
        await transaction.CommitAsync();

        Assert.Equal([image.Id], (await sweep.WaitAsync(TimeSpan.FromSeconds(10))).Select(i => i.Id));
        Assert.Equal(1, await _database.ScalarAsync($"SELECT count(*) FROM blob_collection_queue WHERE content_hash = '{hash.Value}'"));
        var (collecting, db2) = NewRepository();
        await using (db2)
        {
            Assert.Equal(1, (await collecting.CollectUnreferencedOriginalsAsync(CancellationToken.None)).Deleted);
        }

        Assert.False(BlobExists(hash));
    }

    [Fact]
    public async Task ReferencedHashesAndExistingIdsAreFoundInBatches_NFR9()
    {
        var image = await AddAsync([7, 7, 7]);
        var unknown = ContentHash.FromBytes(SHA256.HashData([1]));
        var (repository, db) = NewRepository();
        await using (db)
        {
            Assert.Equal([image.ContentHash], await repository.FindReferencedAsync([image.ContentHash, unknown], CancellationToken.None));
            Assert.Equal([image.Id], await repository.FindExistingAsync([image.Id, Guid.NewGuid()], CancellationToken.None));
        }
    }

    private ServiceProvider Services()
    {
        var services = new ServiceCollection();
        services.AddDbContext<ImagesDbContext>(o => o.UseImagesDatabase(_database.ConnectionString));
        return services.BuildServiceProvider();
    }

    private async Task<DateTimeOffset?> LeaseExpiresAtAsync(Guid id)
    {
        await using var db = _database.CreateDbContext();
        return (await db.Images.AsNoTracking().SingleAsync(i => i.Id == id)).LeaseExpiresAt;
    }

    private static async Task<object?> Sql(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private async Task WaitForLockWaitAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await _database.ScalarAsync("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the sweep never waited for the hash's lock");
            await Task.Delay(20);
        }
    }
}
