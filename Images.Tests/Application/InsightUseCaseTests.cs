using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Application.Images.Get;
using Images.Application.Images.Process;
using Images.Application.Images.Similar;
using Images.Domain.Images;
using Microsoft.Extensions.Options;

namespace Images.Tests.Application;

/// <summary>FR-9 in the use cases, with fakes for the ports: processing stores what the analyser says of the renditions' sample; similar validates, answers 404 without a hash, and hides GPS unless asked.</summary>
public class InsightUseCaseTests
{
    private static Image Seed(UseCaseHarness harness) => harness.Seed("photo.jpg", ImageFormat.Jpeg);

    private static readonly ExifSummary Camera = new("Canon", "EOS", "EF 50mm", "2020-01-02T03:04:05", 0.01, 1.8, 100, 50, new GpsPosition(1.5, -2.5, 10));

    [Fact]
    public async Task ProcessingStoresTheInsightOfTheSampleTheDecodeHandedBack_FR9_1()
    {
        using var harness = new UseCaseHarness();
        harness.Analyser.Exif = Camera;
        var image = Seed(harness);

        var dto = await harness.Get<ProcessImageHandler>().HandleAsync(image.Id, CancellationToken.None);

        var sample = Assert.Single(harness.Analyser.Samples);
        Assert.Equal((2, 1), (sample.Width, sample.Height)); // the fake processor's sample, not a second decode
        Assert.Equal(("AAAA", "#0a141e", "0123456789abcdef"), (dto.Placeholder, dto.DominantColor, dto.Phash));
        Assert.Equal("Canon", dto.Exif?.Make);
        Assert.Null(dto.Exif?.Gps);
        Assert.Equal(Camera, harness.Repository.Rows[image.Id].Insight?.Exif); // the position is stored all the same
    }

    [Fact]
    public async Task GpsIsShownOnlyWhenExposeGpsIsTrue_FR9_3()
    {
        using var harness = new UseCaseHarness();
        harness.Analyser.Exif = Camera;
        var image = Seed(harness);
        await harness.Get<ProcessImageHandler>().HandleAsync(image.Id, CancellationToken.None);

        Assert.Null((await harness.Get<GetImageHandler>().HandleAsync(image.Id, CancellationToken.None)).Exif?.Gps);
        var exposed = new GetImageHandler(harness.Repository, Options.Create(new InsightOptions { ExposeGps = true }));
        Assert.Equal(new GpsDto(1.5, -2.5, 10), (await exposed.HandleAsync(image.Id, CancellationToken.None)).Exif?.Gps);
    }

    [Theory]
    [InlineData(-1, null, "max_distance")]
    [InlineData(17, null, "max_distance")]
    [InlineData(null, 0, "limit")]
    [InlineData(null, 101, "limit")]
    public async Task OutOfRangeParametersAreValidationErrors_FR9_2(int? maxDistance, int? limit, string field)
    {
        using var harness = new UseCaseHarness();
        var ex = await Assert.ThrowsAsync<ValidationException>(() =>
            harness.Get<FindSimilarImagesHandler>().HandleAsync(new FindSimilarImagesQuery(Guid.NewGuid(), maxDistance, limit), CancellationToken.None));
        Assert.True(ex.Errors.ContainsKey(field));
    }

    [Fact]
    public async Task AnImageWithoutAHashIsNotFoundSayingSo_FR9_2()
    {
        using var harness = new UseCaseHarness();
        var image = Seed(harness);
        var ex = await Assert.ThrowsAsync<NotFoundException>(() =>
            harness.Get<FindSimilarImagesHandler>().HandleAsync(new FindSimilarImagesQuery(image.Id, null, null), CancellationToken.None));
        Assert.Contains("no perceptual hash yet", ex.Message);
        await Assert.ThrowsAsync<NotFoundException>(() =>
            harness.Get<FindSimilarImagesHandler>().HandleAsync(new FindSimilarImagesQuery(Guid.NewGuid(), null, null), CancellationToken.None));
    }

    [Fact]
    public async Task SimilarAnswersTheRepositorysNeighboursWithTheirDistanceWithDefaults8And20_FR9_2()
    {
        using var harness = new UseCaseHarness();
        var images = new List<Image>();
        foreach (var hash in new ulong[] { 0xFF00, 0xFF01, 0xFF03, 0x00FF })
        {
            harness.Analyser.Hash = hash;
            var image = Seed(harness);
            await harness.Get<ProcessImageHandler>().HandleAsync(image.Id, CancellationToken.None);
            images.Add(image);
        }

        var page = await harness.Get<FindSimilarImagesHandler>().HandleAsync(new FindSimilarImagesQuery(images[0].Id, null, null), CancellationToken.None);
        Assert.Equal([(images[1].Id, 1), (images[2].Id, 2)], page.Items.Select(i => (i.Id, i.Distance)));
        Assert.All(page.Items, i => Assert.Equal("completed", i.Status));
    }
}
