using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Application.Webhooks;
using Images.Domain.Images;
using Microsoft.Extensions.Options;

namespace Images.Application.Images.Recover;

/// <summary>
/// Nothing stays pending or processing forever (NFR-9): images whose processing lease lapsed (the
/// process working on them died) are reclaimed, or failed once their attempts are spent, and
/// pending images (a full queue, a restart, a lost task) are queued again.
/// </summary>
public sealed class RecoverImagesHandler(
    IImageRepository images,
    IProcessingQueue queue,
    IWebhookOutbox webhooks,
    IUnitOfWork unitOfWork,
    IOptions<ProcessingOptions> options,
    TimeProvider clock)
{
    public const int BatchLimit = 500;

    /// <summary>
    /// Returns how many images were handed to the queue. <paramref name="pendingGrace"/> is how long
    /// an image may stay pending before it is queued again: zero for the in-process queue (which
    /// drops duplicates and is empty after a restart), longer for Kafka (whose backlog may
    /// legitimately hold it for a while). Reclaimed images are queued at once.
    /// </summary>
    public async Task<int> HandleAsync(TimeSpan pendingGrace, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var ids = await images.ListRecoverableAsync(now - pendingGrace, now, BatchLimit, cancellationToken);
        var queued = 0;
        foreach (var id in ids)
        {
            var image = await images.GetAsync(id, cancellationToken);
            if (image is null)
            {
                continue;
            }

            if (image.LeaseLapsed(now))
            {
                image.Reclaim(now, options.Value.MaxAttempts);
                // At the attempt cap the image is failed: its image.failed event commits with it (FR-10.2).
                await using var work = await unitOfWork.BeginAsync(cancellationToken);
                if (await images.UpdateAsync(image, cancellationToken) != SaveResult.Saved)
                {
                    continue;
                }

                if (image.Status == ImageStatus.Failed)
                {
                    await webhooks.RecordAsync(WebhookEventTypes.Failed, ImageDto.From(image, exposeGps: false), cancellationToken);
                }

                await work.CommitAsync(cancellationToken);
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
