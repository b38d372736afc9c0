using Images.Domain.Common;
using Images.Domain.Images;

namespace Images.Tests.Domain;

public class ImageTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly ContentHash Hash = ContentHash.Parse(new string('a', 64));
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    private static Image NewImage(int? ttl = null, IEnumerable<string>? tags = null) =>
        Image.Create(Guid.NewGuid(), "cat.jpg", ImageFormat.Jpeg, 1234, Hash, tags ?? [], ttl, Now);

    [Fact]
    public void CreateStartsPendingWithTheFormatsContentType()
    {
        var image = NewImage();
        Assert.Equal(ImageStatus.Pending, image.Status);
        Assert.Equal("image/jpeg", image.ContentType);
        Assert.False(image.ThumbnailAvailable);
        Assert.Null(image.Channels);
        Assert.Null(image.ExpiresAt);
        Assert.Equal(Now, image.CreatedAt);
    }

    [Fact]
    public void ExpiresAtIsCreatedAtPlusTtlHours_FR1_6()
    {
        var image = NewImage(ttl: 5);
        Assert.Equal(Now.AddHours(5), image.ExpiresAt);
        Assert.False(image.IsExpired(Now.AddHours(5).AddTicks(-1)));
        Assert.True(image.IsExpired(Now.AddHours(5)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(8761)]
    public void TtlOutsideOneTo8760IsRefused_FR1_6(int ttl)
    {
        var ex = Assert.Throws<DomainValidationException>(() => NewImage(ttl: ttl));
        Assert.True(ex.Errors.ContainsKey("ttl_hours"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8760)]
    public void TtlBoundsAreAccepted(int ttl) => Assert.NotNull(NewImage(ttl: ttl).ExpiresAt);

    [Fact]
    public void TwentyOneTagsAreRefused_FR1_5()
    {
        var ex = Assert.Throws<DomainValidationException>(() => NewImage(tags: Enumerable.Range(0, 21).Select(i => $"t{i}")));
        Assert.Contains("20", ex.Errors["tags"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void TagsAreTrimmedAndDeduplicatedAndTwentyAreAccepted()
    {
        var image = NewImage(tags: [.. Enumerable.Range(0, 20).Select(i => $" t{i} "), "t0"]);
        Assert.Equal(20, image.Tags.Count);
        Assert.Equal("t0", image.Tags[0]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void EmptyTagsAreRefused(string tag) =>
        Assert.Throws<DomainValidationException>(() => NewImage(tags: [tag]));

    [Fact]
    public void OverlongTagIsRefused() =>
        Assert.Throws<DomainValidationException>(() => NewImage(tags: [new string('x', Tags.MaxLength + 1)]));

    [Fact]
    public void LifecycleGoesPendingProcessingCompleted_FR2_3()
    {
        var image = NewImage();
        image.StartProcessing(Now.AddSeconds(1), Lease, "test");
        Assert.Equal(ImageStatus.Processing, image.Status);
        Assert.Equal(1, image.Attempts);

        image.Complete(new ImageMetadata(640, 480, ImageFormat.Jpeg, 3, false), Now.AddSeconds(2));
        Assert.Equal(ImageStatus.Completed, image.Status);
        Assert.True(image.ThumbnailAvailable);
        Assert.Equal((640, 480, 3), (image.Width!.Value, image.Height!.Value, image.Channels!.Value));
        Assert.Equal(Now.AddSeconds(2), image.UpdatedAt);
    }

    [Fact]
    public void FailureKeepsTheReasonAndMayBeRetried_FR2_6()
    {
        var image = NewImage();
        image.StartProcessing(Now, Lease, "test");
        image.Fail("corrupt data", Now);
        Assert.Equal(ImageStatus.Failed, image.Status);
        Assert.Equal("corrupt data", image.Error);

        image.StartProcessing(Now, Lease, "test");
        Assert.Equal(ImageStatus.Processing, image.Status);
        Assert.Null(image.Error);
        Assert.Equal(2, image.Attempts);
    }

    [Fact]
    public void IllegalTransitionsAreRefused_FR2_3()
    {
        var pending = NewImage();
        Assert.Throws<InvalidStatusTransitionException>(() => pending.Complete(new ImageMetadata(1, 1, ImageFormat.Jpeg, 3, false), Now));
        Assert.Throws<InvalidStatusTransitionException>(() => pending.Fail("x", Now));
        Assert.Throws<InvalidStatusTransitionException>(() => pending.Release(Now));

        var processing = NewImage();
        processing.StartProcessing(Now, Lease, "test");
        Assert.Throws<InvalidStatusTransitionException>(() => processing.StartProcessing(Now, Lease, "test"));

        var completed = NewImage();
        completed.StartProcessing(Now, Lease, "test");
        completed.Complete(new ImageMetadata(1, 1, ImageFormat.Jpeg, 3, false), Now);
        Assert.Throws<InvalidStatusTransitionException>(() => completed.StartProcessing(Now, Lease, "test"));
        Assert.Throws<InvalidStatusTransitionException>(() => completed.Fail("x", Now));
    }

    [Fact]
    public void ReleaseGivesAProcessingImageBackToPending()
    {
        var image = NewImage();
        image.StartProcessing(Now, Lease, "test");
        image.Release(Now);
        Assert.Equal(ImageStatus.Pending, image.Status);
        Assert.Null(image.ProcessingStartedAt);
    }

    [Fact]
    public void AProcessingImageHoldsALeaseUntilItLapses_NFR9()
    {
        var image = NewImage();
        image.StartProcessing(Now, Lease, "worker-a/1");

        Assert.Equal("worker-a/1", image.LeaseHolder);
        Assert.Equal(Now + Lease, image.LeaseExpiresAt);
        Assert.False(image.LeaseLapsed(Now + Lease - TimeSpan.FromTicks(10)));
        Assert.True(image.LeaseLapsed(Now + Lease));
        Assert.Throws<InvalidStatusTransitionException>(() => image.Reclaim(Now, maxAttempts: 3));
    }

    [Fact]
    public void ALapsedImageIsReclaimedToPendingUntilItsAttemptsAreSpent_NFR9()
    {
        var image = NewImage();
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            image.StartProcessing(Now, Lease, $"worker/{attempt}");
            Assert.True(image.Reclaim(Now + Lease, maxAttempts: 3));
            Assert.Equal(ImageStatus.Pending, image.Status);
            Assert.Equal(attempt, image.LapsedAttempts);
            Assert.Null(image.LeaseHolder);
        }

        image.StartProcessing(Now, Lease, "worker/3");
        Assert.False(image.Reclaim(Now + Lease, maxAttempts: 3));

        Assert.Equal(ImageStatus.Failed, image.Status);
        Assert.Equal("Gave up after 3 attempts; the processing process died each time (IMG_PROCESSING_MAX_ATTEMPTS=3).", image.Error);
        Assert.Equal(3, image.Attempts);
        Assert.Null(image.LeaseExpiresAt);
    }

    [Fact]
    public void AGracefulReleaseOrAnOutcomeIsNotADeadAttempt_NFR9()
    {
        var image = NewImage();
        image.StartProcessing(Now, Lease, "w/1");
        image.Reclaim(Now + Lease, maxAttempts: 3);
        image.StartProcessing(Now, Lease, "w/2");
        image.Release(Now);
        Assert.Equal(1, image.LapsedAttempts);

        image.StartProcessing(Now, Lease, "w/3");
        image.Fail("corrupt", Now);
        Assert.Equal(0, image.LapsedAttempts);
        Assert.Null(image.LeaseHolder);
    }

    [Theory]
    [InlineData("../../etc/passwd", "passwd")]
    [InlineData("C:\\Users\\me\\cat.jpg", "cat.jpg")]
    [InlineData("", "upload.jpeg")]
    [InlineData(null, "upload.jpeg")]
    public void FilenamesLoseTheirPath(string? given, string expected) =>
        Assert.Equal(expected, Image.Create(Guid.NewGuid(), given, ImageFormat.Jpeg, 1, Hash, [], null, Now).Filename);

    [Fact]
    public void EmptyFileIsRefused() =>
        Assert.Throws<DomainValidationException>(() => Image.Create(Guid.NewGuid(), "x", ImageFormat.Png, 0, Hash, [], null, Now));

    [Fact]
    public void CompletingKeepsTheRenditionsMadeAndRefusesTwoOfOneName_FR8_1()
    {
        var image = Image.Create(Guid.NewGuid(), "a.png", ImageFormat.Png, 10, ContentHash.Parse(new string('a', 64)), [], null, Now);
        image.StartProcessing(Now, TimeSpan.FromMinutes(1), "test");
        var thumbnail = new Rendition(Rendition.Thumbnail, 256, 128, [RenditionFormat.Jpeg, RenditionFormat.Webp]);
        Assert.Throws<ArgumentException>(() => image.Complete(new ImageMetadata(512, 256, ImageFormat.Png, 4, true), [thumbnail, thumbnail], Now));
        Assert.Empty(image.Renditions);

        image.Complete(new ImageMetadata(512, 256, ImageFormat.Png, 4, true), [thumbnail], Now);
        Assert.Equal([thumbnail], image.Renditions);
        Assert.True(image.Renditions[0].Has(RenditionFormat.Webp));
        Assert.False(image.Renditions[0].Has(RenditionFormat.Avif));
    }
}
