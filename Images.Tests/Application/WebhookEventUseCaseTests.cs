using Images.Application.Common;
using Images.Application.Images.Process;
using Images.Application.Images.Upload;
using Images.Application.Retention.Sweep;
using Images.Application.Webhooks;
using Images.Domain.Images;

namespace Images.Tests.Application;

/// <summary>FR-10.2, FR-9.4 with fakes of the ports: which use case records which event, inside its unit of work; keys in the upload.</summary>
public class WebhookEventUseCaseTests
{
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4, 5, 6, 7, 8, 9];

    private static async Task<UploadResult> UploadAsync(UseCaseHarness harness, byte[] bytes, IdempotencyKey? key = null, IReadOnlyList<string>? tags = null)
    {
        var handler = harness.Get<UploadImageHandler>();
        await using var staged = await handler.StageAsync(new MemoryStream(bytes), "a.png", "image/png", CancellationToken.None);
        return await handler.HandleAsync(new UploadImageCommand(staged, tags ?? [], null, key), CancellationToken.None);
    }

    private static Image Seed(UseCaseHarness harness, int? ttl = null) => harness.Seed("a.png", ImageFormat.Png, ttl);

    [Fact]
    public async Task AnUploadRecordsImageCreatedInItsUnitOfWork_FR10_2()
    {
        using var harness = new UseCaseHarness();
        var result = await UploadAsync(harness, Png);

        var recorded = Assert.Single(harness.Webhooks.Events);
        Assert.Equal((WebhookEventTypes.Created, result.Image, true), recorded);
        Assert.False(result.Replayed);
    }

    [Fact]
    public async Task AProcessingOutcomeRecordsCompletedOrFailedInItsUnitOfWork_FR10_2()
    {
        using var harness = new UseCaseHarness();
        var good = Seed(harness);
        var bad = Seed(harness);
        harness.Processor.Behaviour = bytes => ContentHash.FromBytes(System.Security.Cryptography.SHA256.HashData(bytes)) == bad.ContentHash
            ? throw new ImageProcessingException("corrupt")
            : new ImageMetadata(10, 10, ImageFormat.Png, 3, false);

        await harness.Get<ProcessImageHandler>().HandleAsync(good.Id, CancellationToken.None);
        await harness.Get<ProcessImageHandler>().HandleAsync(bad.Id, CancellationToken.None);

        var events = harness.Webhooks.Events.ToList();
        Assert.Equal([(WebhookEventTypes.Completed, good.Id, true), (WebhookEventTypes.Failed, bad.Id, true)], events.Select(e => (e.Type, e.Image.Id, e.InTransaction)));
        Assert.Equal("completed", events[0].Image.Status);
        Assert.Equal("corrupt", events[1].Image.Error);
    }

    [Fact]
    public async Task ASweepRecordsImageDeletedForEachDeletedImageInItsBatchsUnitOfWork_FR10_2()
    {
        using var harness = new UseCaseHarness(retentionBatch: 2);
        var expired = Enumerable.Range(0, 3).Select(_ => Seed(harness, ttl: 1)).ToList();
        Seed(harness, ttl: 100);
        harness.Clock.Advance(TimeSpan.FromHours(2));

        await harness.Get<SweepExpiredImagesHandler>().HandleAsync(CancellationToken.None);

        var events = harness.Webhooks.Events.ToList();
        Assert.Equal(expired.Select(i => i.Id).Order(), events.Select(e => e.Image.Id).Order());
        Assert.All(events, e => Assert.Equal((WebhookEventTypes.Deleted, true), (e.Type, e.InTransaction)));
    }

    [Fact]
    public async Task AReplayedUploadStoresNothingAndRecordsNoEvent_FR9_4()
    {
        using var harness = new UseCaseHarness();
        var key = new IdempotencyKey("public", "k1");

        var first = await UploadAsync(harness, Png, key);
        var second = await UploadAsync(harness, Png, key);

        Assert.Equal(first.Image, second.Image);
        Assert.True(second.Replayed);
        Assert.Single(harness.Repository.Rows);
        Assert.Single(harness.Webhooks.Events);
        await Assert.ThrowsAsync<IdempotencyKeyMismatchException>(() => UploadAsync(harness, Png, key, tags: ["other"]));
        Assert.Single(harness.Repository.Rows);
    }

    [Theory]
    [InlineData("abc", "abc")]
    [InlineData("\"abc\"", "abc")]
    [InlineData("  abc  ", "abc")]
    [InlineData("a-b_c.d~e:f/g+h=", "a-b_c.d~e:f/g+h=")]
    public void KeysAreParsedBareOrQuoted(string header, string key) =>
        Assert.Equal(key, IdempotencyKey.Parse([header], "public")!.Value);

    [Fact]
    public void ScopesNameTheCredentialByItsHashNeverItself()
    {
        Assert.Equal("public", IdempotencyKey.ScopeOf(null));
        var scope = IdempotencyKey.ScopeOf("s3cret-api-key-123");
        Assert.StartsWith("key:", scope, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", scope, StringComparison.Ordinal);
        Assert.NotEqual(scope, IdempotencyKey.ScopeOf("another-api-key-456"));
        Assert.Null(IdempotencyKey.Parse([], "public"));
        Assert.Throws<ValidationException>(() => IdempotencyKey.Parse(["a", "b"], "public"));
    }
}

/// <summary>FR-12.2 with fakes of the ports: a delete is the sweep's path for one image.</summary>
public class DeleteImageUseCaseTests
{
    [Fact]
    public async Task DeleteRecordsImageDeletedInItsUnitOfWorkThenRemovesTheFiles_FR12_2()
    {
        using var harness = new UseCaseHarness();
        var image = harness.Seed("a.png", ImageFormat.Png);

        await harness.Get<Images.Application.Images.Delete.DeleteImageHandler>().HandleAsync(image.Id, CancellationToken.None);

        Assert.Empty(harness.Repository.Rows);
        var recorded = Assert.Single(harness.Webhooks.Events);
        Assert.Equal((WebhookEventTypes.Deleted, image.Id, true), (recorded.Type, recorded.Image.Id, recorded.InTransaction));
        await Assert.ThrowsAsync<NotFoundException>(() => harness.Get<Images.Application.Images.Delete.DeleteImageHandler>().HandleAsync(image.Id, CancellationToken.None));
        Assert.Single(harness.Webhooks.Events);
    }

    [Fact]
    public async Task ADeleteThatCommittedSucceedsEvenWhenTheCollectionAfterItFails_FR12_2()
    {
        using var harness = new UseCaseHarness();
        var image = harness.Seed("b.png", ImageFormat.Png);
        harness.Repository.FailNextCollection = new TimeoutException("the database went away after the commit");

        // No exception: the answer is 204, as the row and its event are gone; the original waits for the next collection.
        await harness.Get<Images.Application.Images.Delete.DeleteImageHandler>().HandleAsync(image.Id, CancellationToken.None);

        Assert.Empty(harness.Repository.Rows);
        Assert.Contains(image.ContentHash, harness.Repository.Blobs);
    }
}
