using Images.Application.Common;
using Images.Application.Images.Upload;
using Images.Domain.Images;

namespace Images.Tests.Application;

public class UploadImageHandlerTests
{
    private static readonly byte[] JpegBytes = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];

    private static async Task<ImageDto> UploadAsync(UseCaseHarness harness, byte[] bytes, string? contentType, IReadOnlyList<string>? tags = null, int? ttl = null)
    {
        var handler = harness.Get<UploadImageHandler>();
        await using var staged = await handler.StageAsync(new MemoryStream(bytes), "a.jpg", contentType, CancellationToken.None);
        return (await handler.HandleAsync(new UploadImageCommand(staged, tags ?? [], ttl), CancellationToken.None)).Image;
    }

    [Fact]
    public async Task UploadPersistsPendingImageAndEnqueuesIt_FR1_8()
    {
        using var harness = new UseCaseHarness();
        var image = await UploadAsync(harness, JpegBytes, "image/jpeg", ["x"], 3);

        Assert.Equal("pending", image.Status);
        Assert.Equal("JPEG", image.Format);
        Assert.Equal(JpegBytes.Length, image.SizeBytes);
        Assert.Equal(64, image.ContentHash.Length);
        Assert.Equal(image.CreatedAt.AddHours(3), image.ExpiresAt);
        Assert.Equal([image.Id], harness.Queue.Items);
        Assert.True(harness.Repository.Rows.ContainsKey(image.Id));
        Assert.Equal(0, harness.Blobs.OpenStaged);
    }

    [Fact]
    public async Task BytesThatAreNoImageAre415EvenWhenDeclaredAsJpeg_FR1_1()
    {
        using var harness = new UseCaseHarness();
        await Assert.ThrowsAsync<UnsupportedMediaTypeException>(() => UploadAsync(harness, "hello world, not an image"u8.ToArray(), "image/jpeg"));
        Assert.Empty(harness.Repository.Rows);
        Assert.Equal(0, harness.Processor.Calls);
    }

    [Fact]
    public async Task DeclaredTypeThatContradictsTheBytesIs415_FR1_1()
    {
        using var harness = new UseCaseHarness();
        var ex = await Assert.ThrowsAsync<UnsupportedMediaTypeException>(() => UploadAsync(harness, JpegBytes, "image/png"));
        Assert.Contains("image/png", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("application/octet-stream")]
    public async Task UndeclaredTypeIsDecidedByTheBytes(string? contentType)
    {
        using var harness = new UseCaseHarness();
        Assert.Equal("JPEG", (await UploadAsync(harness, JpegBytes, contentType)).Format);
    }

    [Fact]
    public async Task TypeIsCheckedBeforeSize_FR1_3()
    {
        using var harness = new UseCaseHarness(maxUploadBytes: 100);
        var bigText = new byte[10_000];
        Array.Fill(bigText, (byte)'a');
        await Assert.ThrowsAsync<UnsupportedMediaTypeException>(() => UploadAsync(harness, bigText, "image/jpeg"));

        var bigJpeg = new byte[10_000];
        JpegBytes.CopyTo(bigJpeg, 0);
        await Assert.ThrowsAsync<PayloadTooLargeException>(() => UploadAsync(harness, bigJpeg, "image/jpeg"));
    }

    [Fact]
    public async Task InvalidTagsAndTtlAre422AndStoreNothing_FR1_5_FR1_6()
    {
        using var harness = new UseCaseHarness();
        var tags = await Assert.ThrowsAsync<ValidationException>(() => UploadAsync(harness, JpegBytes, "image/jpeg", [.. Enumerable.Range(0, 21).Select(i => $"t{i}")]));
        Assert.True(tags.Errors.ContainsKey("tags"));
        var ttl = await Assert.ThrowsAsync<ValidationException>(() => UploadAsync(harness, JpegBytes, "image/jpeg", ttl: 8761));
        Assert.True(ttl.Errors.ContainsKey("ttl_hours"));
        Assert.Empty(harness.Repository.Rows);
        Assert.Empty(harness.Queue.Items);
    }

    [Fact]
    public async Task FullQueueLeavesTheImagePendingForRecovery()
    {
        using var harness = new UseCaseHarness(queueCapacity: 0);
        var image = await UploadAsync(harness, JpegBytes, "image/jpeg");
        Assert.Equal(ImageStatus.Pending, harness.Repository.Rows[image.Id].Status);
        Assert.Empty(harness.Queue.Items);
    }

    [Fact]
    public async Task FailedPersistenceEnqueuesNothing_FR1_4()
    {
        using var harness = new UseCaseHarness();
        harness.Repository.FailNextAdd = new InvalidOperationException("database down");
        await Assert.ThrowsAsync<InvalidOperationException>(() => UploadAsync(harness, JpegBytes, "image/jpeg"));
        Assert.Empty(harness.Queue.Items);
        Assert.Equal(0, harness.Blobs.OpenStaged);
    }

    [Fact]
    public async Task EmptyFileIs422()
    {
        using var harness = new UseCaseHarness();
        await Assert.ThrowsAsync<ValidationException>(() => UploadAsync(harness, [], "image/jpeg"));
    }
}
