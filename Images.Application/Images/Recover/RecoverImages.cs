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

    /// <summary>
    /// Returns how many images were handed to the queue. <paramref name="pendingGrace"/> is how long
    /// an image may stay pending before it is queued again: zero for the in-process queue (which
    /// drops duplicates and is empty after a restart), the processing timeout for Kafka (whose
    /// backlog may legitimately hold it for a while).
    /// </summary>
    public async Task<int> HandleAsync(TimeSpan pendingGrace, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var ids = await images.ListRecoverableAsync(now - pendingGrace, now.AddSeconds(-options.Value.StaleAfterSeconds), BatchLimit, cancellationToken);
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

            if (!await queue.EnqueueAsync(id, cancellationToken))
            {
                break;
            }

            queued++;
        }

        return queued;
    }
}
