using Images.Application.Abstractions;
using Images.Application.Common;

namespace Images.Application.Images.Get;

/// <summary>FR-3.1: one image's metadata.</summary>
public sealed class GetImageHandler(IImageRepository images, Microsoft.Extensions.Options.IOptions<InsightOptions> insight)
{
    public async Task<ImageDto> HandleAsync(Guid imageId, CancellationToken cancellationToken)
    {
        var image = await images.GetAsync(imageId, cancellationToken)
            ?? throw new NotFoundException($"Image {imageId} not found.");
        return ImageDto.From(image, insight.Value.ExposeGps);
    }
}
