using Images.Application.Abstractions;
using Images.Domain.Images;

namespace Images.Application.Images.Process;

/// <summary>
/// Gives up on an image whose task kept failing for reasons outside the image (FR-2.6, FR-2.7):
/// it ends <c>failed</c> with the reason instead of pending or processing forever.
/// </summary>
public sealed class MarkImageFailedHandler(IImageRepository images, TimeProvider clock)
{
    public async Task<Image?> HandleAsync(Guid imageId, string reason, CancellationToken cancellationToken)
    {
        var image = await images.GetAsync(imageId, cancellationToken);
        if (image is null || image.Status is ImageStatus.Completed or ImageStatus.Failed)
        {
            return image;
        }

        if (image.Status == ImageStatus.Pending)
        {
            image.StartProcessing(clock.GetUtcNow());
        }

        image.Fail(reason, clock.GetUtcNow());
        return await images.UpdateAsync(image, cancellationToken) == SaveResult.Saved ? image : await images.GetAsync(imageId, cancellationToken);
    }
}
