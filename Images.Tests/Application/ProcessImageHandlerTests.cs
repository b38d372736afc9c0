using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Application.Images.Process;
using Images.Domain.Images;

namespace Images.Tests.Application;

public class ProcessImageHandlerTests
{
    private static Image Seed(UseCaseHarness harness, byte[]? bytes = null)
    {
        bytes ??= [1, 2, 3];
        var hash = ContentHash.FromBytes(System.Security.Cryptography.SHA256.HashData(bytes));
        harness.Blobs.Originals[hash] = bytes;
        var image = Image.Create(Guid.NewGuid(), "a.png", ImageFormat.Png, bytes.Length, hash, [], null, harness.Clock.GetUtcNow());
        harness.Repository.Rows[image.Id] = image;
        return image;
    }

    [Fact]
    public async Task ProcessingCompletesWithMetadataAndThumbnail_FR2_2_FR2_4()
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        harness.Processor.Behaviour = _ => new ImageMetadata(800, 600, ImageFormat.Png, 4, true);

        var result = await harness.Get<ProcessImageHandler>().HandleAsync(image.Id, CancellationToken.None);

        Assert.NotNull(result);
        Assert.Equal(ImageStatus.Completed, result.Status);
        Assert.Equal((800, 600, 4, true), (result.Width!.Value, result.Height!.Value, result.Channels!.Value, result.HasAlpha!.Value));
        Assert.True(harness.Blobs.Thumbnails.ContainsKey(image.Id));
    }

    [Fact]
    public async Task UnknownIdReturnsNull_FR2_4()
    {
        using var harness = new UseCaseHarness();
        Assert.Null(await harness.Get<ProcessImageHandler>().HandleAsync(Guid.NewGuid(), CancellationToken.None));
    }

    [Fact]
    public async Task DecodeFailureMarksTheImageFailedWithTheReason_FR2_6()
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        harness.Processor.Behaviour = _ => throw new ImageProcessingException("bad huffman table");

        var result = await harness.Get<ProcessImageHandler>().HandleAsync(image.Id, CancellationToken.None);

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

        var result = await harness.Get<ProcessImageHandler>().HandleAsync(image.Id, CancellationToken.None);

        Assert.Equal(ImageStatus.Failed, result!.Status);
        Assert.Contains("InvalidCastException", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingOriginalMarksFailed()
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        harness.Blobs.Originals.Clear();
        var result = await harness.Get<ProcessImageHandler>().HandleAsync(image.Id, CancellationToken.None);
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

        Assert.Null(await harness.Get<ProcessImageHandler>().HandleAsync(image.Id, CancellationToken.None));
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
}
