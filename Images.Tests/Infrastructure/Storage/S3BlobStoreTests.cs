using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Infrastructure.Storage;
using Images.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Images.Tests.Infrastructure.Storage;

/// <summary>What only the S3 store does: its key layout, presigned downloads, and a store that is away or slow (NFR-9).</summary>
public sealed class S3BlobStoreTests(S3StoreFixture fixture) : IClassFixture<S3StoreFixture>
{
    [Fact]
    public async Task KeysFollowTheSchemeUnderTheConfiguredPrefix_FR1_7()
    {
        using var store = fixture.S3.CreateStore();
        var bytes = RandomNumberGenerator.GetBytes(500);
        await using var staged = await store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(bytes), 10_000, CancellationToken.None);
        await store.PlaceAsync(staged, CancellationToken.None);
        var id = Guid.NewGuid();
        await store.WriteThumbnailAsync(id, (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask(), CancellationToken.None);

        var keys = await fixture.S3.KeysAsync();
        var hash = staged.Hash.Value;
        var name = id.ToString("N");
        Assert.Contains($"{fixture.S3.KeyPrefix}originals/{hash[..2]}/{hash[2..4]}/{hash}", keys);
        Assert.Contains($"{fixture.S3.KeyPrefix}thumbnails/{name[..2]}/{name}.jpg", keys);
    }

    [Fact]
    public async Task PresignedDownloadAddressesServeTheObjectWithItsNameAndType_FR3_2()
    {
        using var store = fixture.S3.CreateStore(configure: o => o.PresignedDownloads = true);
        var bytes = RandomNumberGenerator.GetBytes(5000);
        await using var staged = await store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(bytes), 10_000, CancellationToken.None);
        await store.PlaceAsync(staged, CancellationToken.None);

        var uri = await store.GetDownloadUriAsync(BlobDownload.Original(staged.Hash, "image/png", "holiday.png"), CancellationToken.None);

        Assert.NotNull(uri);
        Assert.Contains("X-Amz-Signature=", uri.Query, StringComparison.Ordinal);
        using var client = new HttpClient();
        using var response = await client.GetAsync(uri);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("holiday.png", response.Content.Headers.ContentDisposition?.ToString() ?? string.Empty, StringComparison.Ordinal);

        using var plain = fixture.S3.CreateStore();
        Assert.Null(await plain.GetDownloadUriAsync(BlobDownload.Original(staged.Hash, "image/png", "holiday.png"), CancellationToken.None));
    }

    [Fact]
    public async Task AStoreThatRefusesConnectionsIsUnavailableNotAnImageFault_NFR9()
    {
        var closed = Ports.Free();
        using var store = fixture.S3.CreateStore(configure: o => o.Endpoint = $"http://127.0.0.1:{closed}");
        await using var staged = await store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream([1, 2, 3]), 100, CancellationToken.None);

        var clock = Stopwatch.StartNew();
        var placing = await Assert.ThrowsAsync<StorageUnavailableException>(() => store.PlaceAsync(staged, CancellationToken.None));
        Assert.False(placing.IsFull);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.OpenOriginalAsync(staged.Hash, CancellationToken.None));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.WriteThumbnailAsync(Guid.NewGuid(), (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask(), CancellationToken.None));
        await Assert.ThrowsAsync<StorageUnavailableException>(async () => await store.ListOriginalsAsync(DateTimeOffset.MaxValue, CancellationToken.None).ToListAsync());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.DoesNotContain(Directory.GetFiles(store.StagingDirectory), f => !f.Contains("upload-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AStoreThatNeverAnswersTimesOutWithinTheConfiguredBound_NFR9()
    {
        // Accepts connections and never answers: a store that hangs.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var held = new List<TcpClient>();
        using var accepting = new CancellationTokenSource();
        var accept = Task.Run(async () =>
        {
            while (!accepting.IsCancellationRequested)
            {
                held.Add(await silent.AcceptTcpClientAsync(accepting.Token));
            }
        });
        using var store = fixture.S3.CreateStore(configure: o =>
        {
            o.Endpoint = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
            o.TimeoutSeconds = 1;
            o.MaxRetries = 1;
        });
        await using var staged = await store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream([1, 2, 3]), 100, CancellationToken.None);

        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.PlaceAsync(staged, CancellationToken.None));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"a 1 s timeout with 1 retry took {clock.Elapsed}");

        await accepting.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => accept);
        held.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task AMissingBucketIsTheStoresFaultNotAMissingOriginal_NFR9()
    {
        // Were it "not found", processing would fail every image as "original missing".
        using var store = fixture.S3.CreateStore(configure: o => o.Bucket = "no-such-bucket");
        var hash = Images.Domain.Images.ContentHash.FromBytes(SHA256.HashData([1]));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.OpenOriginalAsync(hash, CancellationToken.None));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.OpenThumbnailAsync(Guid.NewGuid(), CancellationToken.None));
    }

    [Fact]
    public async Task AtStartUpWhatAKilledProcessLeftInTheStagingFolderIsRemovedOnceOld_NFR9()
    {
        using var store = fixture.S3.CreateStore();
        var stale = Path.Combine(store.StagingDirectory, "original-killed.part");
        var live = Path.Combine(store.StagingDirectory, "upload-live.part");
        await File.WriteAllBytesAsync(stale, [1]);
        await File.WriteAllBytesAsync(live, [1]);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));
        var options = Microsoft.Extensions.Options.Options.Create(fixture.S3.Options(store.StagingDirectory));
        using var client = Images.Infrastructure.Storage.S3.S3ClientFactory.Create(options.Value);
        using var startup = new Images.Infrastructure.Storage.S3.S3StoreStartup(client, store, options,
            Microsoft.Extensions.Options.Options.Create(new ReconciliationOptions()), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Images.Infrastructure.Storage.S3.S3StoreStartup>.Instance);

        await startup.StartAsync(CancellationToken.None);
        await startup.ExecuteTask!;

        Assert.Equal([live], Directory.GetFiles(store.StagingDirectory));
    }

    [Fact]
    public async Task OperationsAreMeasuredByBackendOperationAndOutcome_FR5_3()
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var telemetry = new StorageTelemetry(services.GetRequiredService<IMeterFactory>());
        var measured = new List<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == StorageTelemetry.MeterName && instrument.Meter.Scope == services.GetRequiredService<IMeterFactory>())
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            lock (measured)
            {
                measured.Add((instrument.Name, value, new Dictionary<string, object?>(tags.ToArray())));
            }
        }

        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.Start();
        using var store = fixture.S3.CreateStore(telemetry);
        var content = RandomNumberGenerator.GetBytes(4321);
        await using (var staged = await store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(content), 10_000, CancellationToken.None))
        {
            await store.PlaceAsync(staged, CancellationToken.None);
        }

        using var away = fixture.S3.CreateStore(telemetry, o => o.Endpoint = $"http://127.0.0.1:{Ports.Free()}");
        await Assert.ThrowsAsync<StorageUnavailableException>(() => away.DeleteThumbnailAsync(Guid.NewGuid(), CancellationToken.None));

        Assert.Contains(measured, m => m.Instrument == "blob_store_operation_duration" && Equals(m.Tags["operation"], "place_original") && Equals(m.Tags["backend"], "s3") && Equals(m.Tags["outcome"], "ok"));
        Assert.Contains(measured, m => m.Instrument == "blob_store_operation_duration" && Equals(m.Tags["operation"], "delete_thumbnail") && Equals(m.Tags["outcome"], "error"));
        Assert.Contains(measured, m => m.Instrument == "blob_store_operation_errors" && Equals(m.Tags["operation"], "delete_thumbnail") && m.Value == 1);
        Assert.Contains(measured, m => m.Instrument == "blob_store_bytes_stored" && Equals(m.Tags["kind"], "original") && m.Value == content.Length);
    }
}

/// <summary>An s3rver of its own, which the test kills while an object is being read.</summary>
public sealed class KillableS3Fixture : IAsyncLifetime
{
    public S3TestStore S3 { get; private set; } = null!;

    public async Task InitializeAsync() => S3 = await S3TestStore.StartAsync(ownServer: true);

    public async Task DisposeAsync() => await S3.DisposeAsync();
}

/// <summary>NFR-9: the store going away in the middle of a download, and coming back.</summary>
public sealed class S3StoreMidStreamTests(KillableS3Fixture fixture) : IClassFixture<KillableS3Fixture>
{
    [Fact]
    public async Task AStoreKilledMidStreamFailsTheReadAsTheStoresFaultAndServesAgainWhenBack_NFR9()
    {
        using var store = fixture.S3.CreateStore();
        var bytes = RandomNumberGenerator.GetBytes(48 << 20);
        await using (var staged = await store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(bytes), 64L << 20, CancellationToken.None))
        {
            await store.PlaceAsync(staged, CancellationToken.None);
        }

        var hash = Images.Domain.Images.ContentHash.FromBytes(SHA256.HashData(bytes));
        await using (var download = await store.OpenForDownloadAsync(BlobDownload.Original(hash, "image/png", "big.png"), CancellationToken.None))
        {
            Assert.NotNull(download);
            var buffer = new byte[1 << 20];
            await download.ReadExactlyAsync(buffer);
            fixture.S3.Server!.Kill();
            var failure = await Assert.ThrowsAsync<StorageUnavailableException>(async () =>
            {
                while (await download.ReadAsync(buffer) > 0)
                {
                }
            });
            Assert.False(failure.IsFull);
        }

        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.OpenOriginalAsync(hash, CancellationToken.None));
        await fixture.S3.Server!.StartAgainAsync();

        await using (var again = await store.OpenOriginalAsync(hash, CancellationToken.None))
        {
            Assert.NotNull(again);
            Assert.Equal(SHA256.HashData(bytes), await SHA256.HashDataAsync(again));
        }

        // The local copies for decoding went with their streams, the failed one included.
        Assert.Empty(Directory.GetFiles(store.StagingDirectory));
    }
}
