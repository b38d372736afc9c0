using Images.Application.Common;
using Images.Application.Images.BatchProcess;
using Images.Application.Images.Download;
using Images.Application.Images.Get;
using Images.Application.Images.List;
using Images.Application.Images.Recover;
using Images.Application.Maintenance.Reconcile;
using Images.Application.Retention.Sweep;
using Images.Domain.Images;

namespace Images.Tests.Application;

public class OtherUseCaseTests
{
    private static Image Seed(UseCaseHarness harness, int? ttl = null, byte[]? bytes = null, TimeSpan? age = null) =>
        harness.Seed("a.jpg", ImageFormat.Jpeg, ttl, bytes, age);

    [Fact]
    public async Task BatchReportsEachIdsOutcomeAndUnknownIdsAsNotFound_FR2_5()
    {
        using var harness = new UseCaseHarness();
        var good = Seed(harness);
        var bad = Seed(harness);
        harness.Processor.Behaviour = bytes => bytes.SequenceEqual(harness.Blobs.Originals[bad.ContentHash])
            ? throw new ImageProcessingException("corrupt")
            : new ImageMetadata(10, 10, ImageFormat.Jpeg, 3, false);
        var unknown = Guid.NewGuid();

        var result = await harness.Get<BatchProcessImagesHandler>().HandleAsync(
            new BatchProcessCommand([good.Id, bad.Id, unknown], 1), CancellationToken.None);

        Assert.Equal(["completed", "failed", "not_found"], result.Results.Select(r => r.Status));
        Assert.Equal("corrupt", result.Results[1].Error);
        Assert.Equal((1, 2), (result.Succeeded, result.Failed));
    }

    [Theory]
    [InlineData(0, 8, "image_ids")]
    [InlineData(101, 8, "image_ids")]
    [InlineData(1, 0, "concurrency")]
    [InlineData(1, 33, "concurrency")]
    public async Task BatchOutOfRangeIs422_FR2_5(int count, int concurrency, string field)
    {
        using var harness = new UseCaseHarness();
        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToList();
        var ex = await Assert.ThrowsAsync<ValidationException>(() =>
            harness.Get<BatchProcessImagesHandler>().HandleAsync(new BatchProcessCommand(ids, concurrency), CancellationToken.None));
        Assert.True(ex.Errors.ContainsKey(field));
    }

    [Fact]
    public async Task ListValidatesLimitOffsetAndStatus_FR3_4_FR3_5()
    {
        using var harness = new UseCaseHarness();
        var handler = harness.Get<ListImagesHandler>();
        await Assert.ThrowsAsync<ValidationException>(() => handler.HandleAsync(new ListImagesQuery(0, 0, null), CancellationToken.None));
        await Assert.ThrowsAsync<ValidationException>(() => handler.HandleAsync(new ListImagesQuery(0, 101, null), CancellationToken.None));
        await Assert.ThrowsAsync<ValidationException>(() => handler.HandleAsync(new ListImagesQuery(-1, 10, null), CancellationToken.None));
        // Status names are parsed at the HTTP edge, with the contract's names.
        Assert.Throws<ValidationException>(() => ImageStatusContract.Parse("done", "status"));

        Seed(harness);
        var page = await handler.HandleAsync(new ListImagesQuery(null, null, ImageStatusContract.Parse("pending", "status")), CancellationToken.None);
        Assert.Equal((1L, 0, 50), (page.Total, page.Offset, page.Limit));
    }

    [Fact]
    public async Task GetAndDownloadAnswerNotFoundAndThumbnailNotReady_FR3_1_FR3_3()
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        await Assert.ThrowsAsync<NotFoundException>(() => harness.Get<GetImageHandler>().HandleAsync(Guid.NewGuid(), CancellationToken.None));

        var download = harness.Get<DownloadImageHandler>();
        var original = await download.HandleAsync(image.Id, false, CancellationToken.None);
        Assert.Equal("image/jpeg", original.ContentType);
        // FR-8.4: the validators HTTP caching needs, without reading the bytes.
        Assert.Equal(image.ContentHash.Value, original.Sha256);
        Assert.Equal(image.CreatedAt, original.LastModified);
        var notReady = await Assert.ThrowsAsync<NotFoundException>(() => download.HandleAsync(image.Id, true, CancellationToken.None));
        Assert.Contains("not available yet", notReady.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SweepDeletesOnlyExpiredImagesAndTheirUnsharedOriginals_FR4_2()
    {
        using var harness = new UseCaseHarness(retentionBatch: 2);
        var shared = Guid.NewGuid().ToByteArray();
        var expiredShared = Seed(harness, ttl: 1, bytes: shared);
        var keeperShared = Seed(harness, bytes: shared);
        var expired = Enumerable.Range(0, 3).Select(_ => Seed(harness, ttl: 1)).ToList();
        var fresh = Seed(harness, ttl: 10);
        harness.Clock.Advance(TimeSpan.FromHours(2));

        var result = await harness.Get<SweepExpiredImagesHandler>().HandleAsync(CancellationToken.None);

        Assert.Equal(new SweepResult(4, 0), result);
        Assert.Equal(new[] { keeperShared.Id, fresh.Id }.Order(), harness.Repository.Rows.Keys.Order());
        Assert.Contains(keeperShared.ContentHash, harness.Repository.Blobs);
        Assert.DoesNotContain(expired[0].ContentHash, harness.Repository.Blobs);
        Assert.Equal(expiredShared.ContentHash, keeperShared.ContentHash);
    }

    [Fact]
    public async Task OneFailedDeletionIsCountedAndTheSweepGoesOn_FR4_4()
    {
        using var harness = new UseCaseHarness();
        var broken = Seed(harness, ttl: 1);
        Seed(harness, ttl: 1);
        harness.Blobs.ThumbnailDeleteFailures.Add(broken.Id);
        harness.Clock.Advance(TimeSpan.FromHours(2));

        var result = await harness.Get<SweepExpiredImagesHandler>().HandleAsync(CancellationToken.None);

        Assert.Equal(new SweepResult(2, 1), result);
    }

    [Fact]
    public async Task RecoveryRequeuesPendingAndReleasesStaleProcessing()
    {
        using var harness = new UseCaseHarness(processing: o => o.LeaseSeconds = 60);
        var pending = Seed(harness);
        var stale = Seed(harness);
        stale.StartProcessing(harness.Clock.GetUtcNow(), TimeSpan.FromSeconds(60), "test");
        var fresh = Seed(harness);
        harness.Clock.Advance(TimeSpan.FromMinutes(5));
        fresh.StartProcessing(harness.Clock.GetUtcNow(), TimeSpan.FromSeconds(60), "test");

        var queued = await harness.Get<RecoverImagesHandler>().HandleAsync(TimeSpan.Zero, CancellationToken.None);

        Assert.Equal(2, queued);
        Assert.Equal(ImageStatus.Pending, stale.Status);
        Assert.Equal(ImageStatus.Processing, fresh.Status);
        Assert.Contains(pending.Id, harness.Queue.Items);
        Assert.Contains(stale.Id, harness.Queue.Items);
    }

    [Fact]
    public async Task RecoveryFailsALapsedImageWhoseAttemptsAreSpentInsteadOfQueueingIt_NFR9()
    {
        using var harness = new UseCaseHarness(processing: o => o.MaxAttempts = 2);
        var image = Seed(harness);
        image.StartProcessing(harness.Clock.GetUtcNow(), TimeSpan.FromSeconds(20), "w/1");
        harness.Clock.Advance(TimeSpan.FromSeconds(21));
        image.Reclaim(harness.Clock.GetUtcNow(), 2);
        image.StartProcessing(harness.Clock.GetUtcNow(), TimeSpan.FromSeconds(20), "w/2");
        harness.Clock.Advance(TimeSpan.FromSeconds(21));

        var queued = await harness.Get<RecoverImagesHandler>().HandleAsync(TimeSpan.FromMinutes(15), CancellationToken.None);

        Assert.Equal(0, queued);
        Assert.Equal(ImageStatus.Failed, image.Status);
        Assert.Contains("Gave up after 2 attempts", image.Error, StringComparison.Ordinal);
        Assert.Empty(harness.Queue.Items);
        // FR-10.2: that failure is an event like any other, recorded in its unit of work.
        var recorded = Assert.Single(harness.Webhooks.Events);
        Assert.Equal((Images.Application.Webhooks.WebhookEventTypes.Failed, image.Id, true), (recorded.Type, recorded.Image.Id, recorded.InTransaction));
    }

    [Fact]
    public async Task ReconciliationRemovesOnlyOldFilesThatNoRowReferences_NFR9()
    {
        using var harness = new UseCaseHarness();
        var kept = Seed(harness);
        var orphan = ContentHash.FromBytes(System.Security.Cryptography.SHA256.HashData([7, 7, 7]));
        var young = ContentHash.FromBytes(System.Security.Cryptography.SHA256.HashData([8, 8, 8]));
        harness.Blobs.Originals[orphan] = [7, 7, 7];
        harness.Blobs.Originals[young] = [8, 8, 8];
        harness.Blobs.WrittenAt[young] = harness.Clock.GetUtcNow(); // Its row may be committing right now.
        var orphanThumbnail = Guid.NewGuid();
        harness.Blobs.Thumbnails[orphanThumbnail] = [1];
        harness.Blobs.Thumbnails[kept.Id] = [1];
        harness.Blobs.TemporaryFiles = 2;

        var result = await harness.Get<ReconcileStorageHandler>().HandleAsync(CancellationToken.None);

        Assert.Equal(new ReconcileResult(1, 1, 2), result);
        Assert.Equal([orphan], harness.Repository.Scheduled); // Neither the young file nor a referenced one.
        Assert.DoesNotContain(orphan, harness.Repository.Blobs);
        Assert.False(harness.Blobs.Thumbnails.ContainsKey(orphanThumbnail));
        Assert.True(harness.Blobs.Thumbnails.ContainsKey(kept.Id));
    }
}
