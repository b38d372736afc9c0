using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;
using Microsoft.Extensions.Options;

namespace Images.Application.Images.Recover;

/// <summary>
/// Nothing stays pending or processing forever: pending images (a full queue, a restart) are queued
/// again, and images left in processing by a crashed worker past the timeout are released first.
/// </summary>
public sealed class RecoverImagesHandler(
    IImageRepository images,
    IProcessingQueue queue,
    IOptions<ProcessingOptions> options,
    TimeProvider clock)
{
    public const int BatchLimit = 500;

    /// <summary>Returns how many images were handed to the queue.</summary>
    public async Task<int> HandleAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var ids = await images.ListRecoverableAsync(now.AddSeconds(-options.Value.StaleAfterSeconds), BatchLimit, cancellationToken);
        var queued = 0;
        foreach (var id in ids)
        {
            var image = await images.GetAsync(id, cancellationToken);
            if (image is null)
            {
                continue;
            }

            if (image.Status == ImageStatus.Processing)
            {
                image.Release(now);
                if (await images.UpdateAsync(image, cancellationToken) != SaveResult.Saved)
                {
                    continue;
                }
            }

            if (image.Status != ImageStatus.Pending)
            {
                continue;
            }

            if (!queue.TryEnqueue(id))
            {
                break;
            }

            queued++;
        }

        return queued;
    }
}
