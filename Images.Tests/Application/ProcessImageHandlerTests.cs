using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Application.Images.Process;
using Images.Domain.Images;

namespace Images.Tests.Application;

public class ProcessImageHandlerTests
{
    /// <summary>Runs the use case and returns the image as stored afterwards (null when it is gone).</summary>
    private static async Task<Image?> ProcessAsync(UseCaseHarness harness, Guid id)
    {
        try
        {
            await harness.Get<ProcessImageHandler>().HandleAsync(id, CancellationToken.None);
        }
        catch (NotFoundException)
        {
            return null;
        }

        return harness.Repository.Rows.GetValueOrDefault(id);
    }

    private static Image Seed(UseCaseHarness harness, byte[]? bytes = null) =>
        harness.Seed("a.png", ImageFormat.Png, bytes: bytes ?? [1, 2, 3], collectable: false);

    [Fact]
    public async Task ProcessingCompletesWithMetadataAndThumbnail_FR2_2_FR2_4()
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        harness.Processor.Behaviour = _ => new ImageMetadata(800, 600, ImageFormat.Png, 4, true);

        var result = await ProcessAsync(harness, image.Id);

        Assert.NotNull(result);
        Assert.Equal(ImageStatus.Completed, result.Status);
        Assert.Equal((800, 600, 4, true), (result.Width!.Value, result.Height!.Value, result.Channels!.Value, result.HasAlpha!.Value));
        Assert.True(harness.Blobs.Thumbnails.ContainsKey(image.Id));
    }

    [Fact]
    public async Task UnknownIdIsNotFound_FR2_4()
    {
        using var harness = new UseCaseHarness();
        await Assert.ThrowsAsync<NotFoundException>(() => harness.Get<ProcessImageHandler>().HandleAsync(Guid.NewGuid(), CancellationToken.None));
    }

    [Fact]
    public async Task DecodeFailureMarksTheImageFailedWithTheReason_FR2_6()
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        harness.Processor.Behaviour = _ => throw new ImageProcessingException("bad huffman table");

        var result = await ProcessAsync(harness, image.Id);

        Assert.Equal(ImageStatus.Failed, result!.Status);
        Assert.Equal("bad huffman table", result.Error);
        Assert.False(result.ThumbnailAvailable);
    }

    [Fact]
    public async Task UnexpectedExceptionAlsoEndsFailedNotThrown_FR2_6()
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        harness.Processor.Behaviour = _ => throw new InvalidCastException("boom");

        var result = await ProcessAsync(harness, image.Id);

        Assert.Equal(ImageStatus.Failed, result!.Status);
        Assert.Contains("InvalidCastException", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingOriginalMarksFailed()
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        harness.Blobs.Originals.Clear();
        var result = await ProcessAsync(harness, image.Id);
        Assert.Equal(ImageStatus.Failed, result!.Status);
        Assert.Contains("missing", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompletedImageIsNotProcessedAgain()
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        var handler = harness.Get<ProcessImageHandler>();
        await handler.HandleAsync(image.Id, CancellationToken.None);
        await handler.HandleAsync(image.Id, CancellationToken.None);
        Assert.Equal(1, harness.Processor.Calls);
    }

    [Fact]
    public async Task LosingTheClaimToAnotherWriterSkipsProcessing()
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        harness.Repository.OnUpdate = _ => SaveResult.Conflict;
        await harness.Get<ProcessImageHandler>().HandleAsync(image.Id, CancellationToken.None);
        Assert.Equal(0, harness.Processor.Calls);
    }

    [Fact]
    public async Task ImageDeletedWhileProcessingLeavesNoThumbnail()
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        harness.Processor.Behaviour = _ =>
        {
            harness.Repository.Rows.Remove(image.Id);
            return new ImageMetadata(1, 1, ImageFormat.Png, 3, false);
        };

        Assert.Null(await ProcessAsync(harness, image.Id));
        Assert.False(harness.Blobs.Thumbnails.ContainsKey(image.Id));
    }

    [Fact]
    public async Task CancellationReleasesTheImageBackToPending()
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        using var cts = new CancellationTokenSource();
        harness.Processor.Behaviour = _ =>
        {
            cts.Cancel();
            cts.Token.ThrowIfCancellationRequested();
            return null!;
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.Get<ProcessImageHandler>().HandleAsync(image.Id, cts.Token));
        Assert.Equal(ImageStatus.Pending, harness.Repository.Rows[image.Id].Status);
    }

    [Fact]
    public async Task TheGateBoundsConcurrentProcessing_NFR3()
    {
        using var harness = new UseCaseHarness(processing: o => o.MaxWorkers = 2);
        var gate = harness.Get<ProcessingGate>();
        var peak = 0;
        harness.Processor.Behaviour = _ =>
        {
            lock (gate)
            {
                peak = Math.Max(peak, gate.InUse);
            }

            Thread.Sleep(20);
            return new ImageMetadata(1, 1, ImageFormat.Png, 3, false);
        };
        var ids = Enumerable.Range(0, 8).Select(i => Seed(harness, [(byte)i]).Id).ToList();

        // Each handler gets its own scope, as the background workers do.
        await Task.WhenAll(ids.Select(id => Task.Run(() => harness.Get<ProcessImageHandler>().HandleAsync(id, CancellationToken.None))));

        Assert.InRange(peak, 1, 2);
        Assert.Equal(8, harness.Processor.Calls);
    }

    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task AnImageOverTheMemoryBudgetFailsBeforeAnyDecodeWithTheFigure_NFR8()
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        harness.Processor.Plan = _ => new DecodePlan(12_000, 8_000, 1, 1530 * MiB, "libimages_native PNG");

        var result = await ProcessAsync(harness, image.Id);

        Assert.Equal(ImageStatus.Failed, result!.Status);
        Assert.Equal(
            "Decoding this 12000x8000 PNG image needs about 1530 MiB of working memory (libimages_native PNG), over the limit of 512 MiB (IMG_MAX_DECODE_MEMORY_MB).",
            result.Error);
        Assert.Equal(0, harness.Processor.Calls);
    }

    [Theory]
    [InlineData(70_000, 10, "IMG_MAX_IMAGE_SIDE")]
    [InlineData(20_000, 20_000, "IMG_MAX_IMAGE_PIXELS")]
    [InlineData(0, 10, "invalid dimensions")]
    public async Task AnImageOverASizeLimitFailsBeforeAnyDecode_NFR7(int width, int height, string named)
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        harness.Processor.Plan = _ => new DecodePlan(width, height, 1, MiB, "fake");

        var result = await ProcessAsync(harness, image.Id);

        Assert.Equal(ImageStatus.Failed, result!.Status);
        Assert.Contains(named, result.Error, StringComparison.Ordinal);
        Assert.Equal(0, harness.Processor.Calls);
    }

    [Fact]
    public async Task ADecodeOverTheTimeBudgetIsStoppedAndFailsNamingTheLimit_NFR8()
    {
        using var harness = new UseCaseHarness(processing: o => o.ImageTimeoutSeconds = 30);
        var image = Seed(harness);
        harness.Processor.During = async token =>
        {
            harness.Clock.Advance(TimeSpan.FromSeconds(31));
            await Task.Delay(Timeout.Infinite, token); // A decode that only stops when told to.
        };

        var result = await ProcessAsync(harness, image.Id).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(ImageStatus.Failed, result!.Status);
        Assert.Equal("Processing exceeded the time limit of 30 s (IMG_PROCESSING_IMAGE_TIMEOUT_SECONDS).", result.Error);
    }

    [Fact]
    public async Task AStorageFaultGivesTheImageBackInsteadOfFailingIt_NFR9()
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        harness.Blobs.FailNextThumbnailWrite = new StorageUnavailableException("The image store is full.", full: true, new IOException("No space left on device"));

        await Assert.ThrowsAsync<StorageUnavailableException>(() => harness.Get<ProcessImageHandler>().HandleAsync(image.Id, CancellationToken.None));

        var stored = harness.Repository.Rows[image.Id];
        Assert.Equal(ImageStatus.Pending, stored.Status);
        Assert.Null(stored.Error);
        Assert.Equal(0, stored.LapsedAttempts);

        // Once the disk has room again, the next attempt completes.
        var retried = await ProcessAsync(harness, image.Id);
        Assert.Equal(ImageStatus.Completed, retried!.Status);
    }

    [Fact]
    public async Task TheLeaseIsRenewedWhileTheDecodeRuns_NFR9()
    {
        using var harness = new UseCaseHarness(processing: o => o.LeaseSeconds = 30);
        var image = Seed(harness);
        harness.Processor.During = async _ =>
        {
            for (var i = 0; i < 3 && harness.Leases.Renewals == 0; i++)
            {
                harness.Clock.Advance(TimeSpan.FromSeconds(11));
                await WaitUntilAsync(() => harness.Leases.Renewals > i);
            }
        };

        var result = await ProcessAsync(harness, image.Id);

        Assert.Equal(ImageStatus.Completed, result!.Status);
        Assert.True(harness.Leases.Renewals >= 1);
    }

    [Fact]
    public async Task LosingTheLeaseStopsTheDecodeAndLeavesTheImageToItsNewHolder_NFR9()
    {
        using var harness = new UseCaseHarness(processing: o => o.LeaseSeconds = 30);
        var image = Seed(harness);
        harness.Leases.Answer = (_, _) => false; // Another process reclaimed it.
        harness.Processor.During = async token =>
        {
            harness.Clock.Advance(TimeSpan.FromSeconds(11));
            await Task.Delay(Timeout.Infinite, token);
        };

        await ProcessAsync(harness, image.Id).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, harness.Repository.Updates); // The claim only: no outcome was written over the new holder's.
        Assert.False(harness.Blobs.Thumbnails.ContainsKey(image.Id));
    }

    [Fact]
    public async Task AnImageWhoseHolderIsAliveIsLeftAlone_NFR9()
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        image.StartProcessing(harness.Clock.GetUtcNow(), TimeSpan.FromSeconds(20), "other-worker/1/a");

        var result = await ProcessAsync(harness, image.Id);

        Assert.Equal(ImageStatus.Processing, result!.Status);
        Assert.Equal("other-worker/1/a", result.LeaseHolder);
        Assert.Equal(0, harness.Processor.Calls);
    }

    [Fact]
    public async Task AnImageWhoseHolderDiedIsTakenOverAndCompleted_NFR9()
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        image.StartProcessing(harness.Clock.GetUtcNow(), TimeSpan.FromSeconds(20), "dead-worker/1/a");
        harness.Clock.Advance(TimeSpan.FromSeconds(21));

        var result = await ProcessAsync(harness, image.Id);

        Assert.Equal(ImageStatus.Completed, result!.Status);
        Assert.Equal(2, result.Attempts);
        Assert.Equal(0, result.LapsedAttempts);
    }

    [Fact]
    public async Task AnImageThatKilledItsHolderEveryTimeIsFailedNotTriedAgain_NFR9()
    {
        using var harness = new UseCaseHarness(processing: o => o.MaxAttempts = 3);
        var image = Seed(harness);
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            if (attempt > 1)
            {
                image.Reclaim(harness.Clock.GetUtcNow(), 3);
            }

            image.StartProcessing(harness.Clock.GetUtcNow(), TimeSpan.FromSeconds(20), $"killed-worker/{attempt}");
            harness.Clock.Advance(TimeSpan.FromSeconds(21));
        }

        var result = await ProcessAsync(harness, image.Id);

        Assert.Equal(ImageStatus.Failed, result!.Status);
        Assert.StartsWith("Gave up after 3 attempts; the processing process died each time", result.Error, StringComparison.Ordinal);
        Assert.Equal(0, harness.Processor.Calls);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
