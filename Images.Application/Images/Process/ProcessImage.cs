using System.Diagnostics;
using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Application.Webhooks;
using Images.Domain.Images;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Application.Images.Process;

/// <summary>
/// FR-2.4/FR-2.6: processes one image. A fault of the image (it cannot be decoded, it is over a
/// budget of NFR-8, it takes longer than the time budget) ends it <c>failed</c> with the reason; a
/// fault of the infrastructure (database, storage, a full disk) never does (NFR-9): the image is
/// given back and the exception reaches the caller, which tries again later. While it works, the
/// handler renews its lease on the image, so that a process that dies is noticed within a lease.
/// </summary>
public sealed partial class ProcessImageHandler(
    IImageRepository images,
    IBlobStore blobs,
    IImageProcessor processor,
    IImageAnalyser analyser,
    IProcessingLeases leases,
    IWebhookOutbox webhooks,
    IUnitOfWork unitOfWork,
    ProcessingGate gate,
    ImagesMetrics metrics,
    IOptions<ProcessingOptions> options,
    IOptions<InsightOptions> insightOptions,
    TimeProvider clock,
    ILogger<ProcessImageHandler> logger)
{
    /// <summary>The image's state afterwards; <see cref="NotFoundException"/> when there is no such image (any more).</summary>
    public async Task<ImageDto> HandleAsync(Guid imageId, CancellationToken cancellationToken) =>
        await ProcessAsync(imageId, cancellationToken) is { } image
            ? ImageDto.From(image, insightOptions.Value.ExposeGps)
            : throw new NotFoundException($"Image {imageId} not found.");

    private async Task<Image?> ProcessAsync(Guid imageId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var image = await images.GetAsync(imageId, cancellationToken);
        if (image is null || image.Status == ImageStatus.Completed)
        {
            return image;
        }

        if (image.Status == ImageStatus.Processing)
        {
            if (!image.LeaseLapsed(clock.GetUtcNow()))
            {
                return image; // Its holder is alive and renews the lease: leave the image to it.
            }

            // The holder died: take the image over, or give up at the attempt cap (NFR-9).
            LogReclaimed(image.Id, image.LeaseHolder);
            if (!image.Reclaim(clock.GetUtcNow(), settings.MaxAttempts))
            {
                metrics.Failed(image.Format.ContractName(), "lapsed");
                return await SaveOutcomeAsync(image);
            }
        }

        // The header says what the decode needs before anything is claimed or allocated (NFR-8).
        var (plan, refusal) = await PlanAsync(image, settings, cancellationToken);
        if (refusal is not null)
        {
            image.StartProcessing(clock.GetUtcNow(), settings.Lease, LeaseHolders.New());
            image.Fail(refusal, clock.GetUtcNow());
            LogRefused(image.Id, refusal);
            metrics.Failed(image.Format.ContractName(), "budget");
            return await SaveOutcomeAsync(image);
        }

        // Wait for a slot and the memory before claiming, so waiting images stay pending.
        using var slot = await gate.EnterAsync(plan!.MemoryBytes, cancellationToken);
        var holder = LeaseHolders.New();
        image.StartProcessing(clock.GetUtcNow(), settings.Lease, holder);
        switch (await images.UpdateAsync(image, cancellationToken))
        {
            case SaveResult.Gone:
                return null;
            case SaveResult.Conflict:
                return await images.GetAsync(imageId, cancellationToken);
        }

        var started = Stopwatch.GetTimestamp();
        metrics.Started();
        using var leaseLost = new CancellationTokenSource();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(settings.ImageTimeoutSeconds), clock);
        using var work = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, leaseLost.Token);
        using var renewing = new CancellationTokenSource();
        var renewal = RenewLeaseAsync(image.Id, holder, settings.Lease, leaseLost, renewing.Token);
        try
        {
            var (metadata, renditions, insight) = await CreateRenditionsAsync(image, settings, work.Token);
            // Frames (FR-8.6) are the container's count, read by the plan before anything was decoded.
            image.Complete(metadata with { Frames = plan.Frames }, renditions, insight, clock.GetUtcNow());
            LogProcessed(image.Id, metadata.Format, metadata.Width, metadata.Height, plan.Engine, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (ImageProcessingException ex)
        {
            LogImageFailed(ex, image.Id);
            image.Fail(ex.Message, clock.GetUtcNow());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: give the image back instead of leaving it to lapse.
            await GiveBackAsync(image);
            throw;
        }
        catch (OperationCanceledException) when (leaseLost.IsCancellationRequested)
        {
            // Another process took the image over (this one was presumed dead): its outcome counts.
            LogLeaseLost(image.Id);
            return await images.GetAsync(imageId, CancellationToken.None);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            image.Fail($"Processing exceeded the time limit of {settings.ImageTimeoutSeconds} s (IMG_PROCESSING_IMAGE_TIMEOUT_SECONDS).", clock.GetUtcNow());
        }
        catch (Exception ex) when (ex is StorageUnavailableException or IOException or UnauthorizedAccessException)
        {
            // NFR-9: storage trouble (a full disk, a lost mount) is not the image's fault.
            LogStorageFault(ex, image.Id);
            await GiveBackAsync(image);
            throw;
        }
#pragma warning disable CA1031 // FR-2.6: whatever goes wrong with one image must not take the process down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogUnexpected(ex, image.Id);
            image.Fail($"Processing error: {ex.GetType().Name}.", clock.GetUtcNow());
        }
        finally
        {
            await renewing.CancelAsync();
            await renewal;
            metrics.Finished(image.Status.ToContract(), image.Format.ContractName(), plan.Engine, Stopwatch.GetElapsedTime(started), clock.GetUtcNow() - image.CreatedAt);
        }

        return await SaveOutcomeAsync(image);
    }

    private async Task<(DecodePlan? Plan, string? Refusal)> PlanAsync(Image image, ProcessingOptions settings, CancellationToken cancellationToken)
    {
        DecodePlan plan;
        try
        {
            await using var original = await OpenOriginalAsync(image, cancellationToken);
            plan = await processor.PlanAsync(original, image.Format, cancellationToken);
        }
        catch (ImageProcessingException ex)
        {
            return (null, ex.Message);
        }

        return (plan, Budget.Refusal(plan, image.Format, settings));
    }

    /// <summary>
    /// Saves an outcome with its image.completed or image.failed event in one transaction (FR-10.2);
    /// an image deleted meanwhile (retention) loses the thumbnail just written.
    /// </summary>
    private async Task<Image?> SaveOutcomeAsync(Image image)
    {
        SaveResult saved;
        await using (var work = await unitOfWork.BeginAsync(CancellationToken.None))
        {
            saved = await images.UpdateAsync(image, CancellationToken.None);
            if (saved == SaveResult.Saved && image.Status is ImageStatus.Completed or ImageStatus.Failed)
            {
                var type = image.Status == ImageStatus.Completed ? WebhookEventTypes.Completed : WebhookEventTypes.Failed;
                await webhooks.RecordAsync(type, ImageDto.From(image, exposeGps: false), CancellationToken.None);
            }

            await work.CommitAsync(CancellationToken.None);
        }

        switch (saved)
        {
            case SaveResult.Gone:
                await blobs.DeleteThumbnailAsync(image.Id, CancellationToken.None);
                await blobs.DeleteDerivedAsync(DerivedKeys.Prefix(image.Id), CancellationToken.None);
                return null;
            case SaveResult.Conflict:
                return await images.GetAsync(image.Id, CancellationToken.None);
            default:
                return image;
        }
    }

    /// <summary>Releases the image to pending; when even that fails its lease lapses and recovery takes it.</summary>
    private async Task GiveBackAsync(Image image)
    {
        try
        {
            image.Release(clock.GetUtcNow());
            await images.UpdateAsync(image, CancellationToken.None);
        }
#pragma warning disable CA1031 // The original exception is what the caller must see.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogReleaseFailed(ex, image.Id);
        }
    }

    private async Task RenewLeaseAsync(Guid imageId, string holder, TimeSpan lease, CancellationTokenSource leaseLost, CancellationToken stop)
    {
        var period = lease / 3;
        try
        {
            while (true)
            {
                await Task.Delay(period, clock, stop);
                try
                {
                    if (!await leases.RenewAsync(imageId, holder, clock.GetUtcNow() + lease, stop))
                    {
                        await leaseLost.CancelAsync();
                        return;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The database may be away for a moment; the lease has two more periods to go.
                    LogRenewalFailed(ex, imageId);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task<Stream> OpenOriginalAsync(Image image, CancellationToken cancellationToken) =>
        await blobs.OpenOriginalAsync(image.ContentHash, cancellationToken) ?? throw new ImageProcessingException("The original file is missing from storage.");

    /// <summary>
    /// FR-8.1/FR-8.2: one decode makes every rendition; the thumbnail's JPEG goes where
    /// <c>download?thumbnail=true</c> has always read it, every other file under its derived key.
    /// All are written before the outcome is saved: a crash in between leaves files that
    /// reconciliation removes (their image is not completed, NFR-9), never a completed image
    /// without its files.
    /// </summary>
    private async Task<(ImageMetadata Metadata, List<Rendition> Renditions, ImageInsight? Insight)> CreateRenditionsAsync(Image image, ProcessingOptions settings, CancellationToken cancellationToken)
    {
        RenditionSet set;
        ExifSummary? exif;
        await using (var original = await OpenOriginalAsync(image, cancellationToken))
        {
            set = await processor.CreateRenditionsAsync(original, image.Format, settings.Renditions, cancellationToken);
        }

        // FR-9.3: the container's EXIF bytes only (bounded, never trusted), from a stream of its own
        // (a blob store's stream need not seek); FR-9.1/FR-9.2 from the sample the decode above
        // handed back: nothing is decoded twice.
        await using (var original = await OpenOriginalAsync(image, cancellationToken))
        {
            exif = await analyser.ReadExifAsync(original, image.Format, cancellationToken);
        }

        var insight = set.Sample is { } sample ? analyser.Analyse(sample, exif) : null;

        var renditions = new List<Rendition>(set.Renditions.Count);
        foreach (var made in set.Renditions)
        {
            var rendition = new Rendition(made.Name, made.Width, made.Height, [.. made.Files.Keys.Order()]);
            foreach (var (format, file) in made.Files)
            {
                Task Write(Stream stream, CancellationToken ct) => stream.WriteAsync(file.Bytes, ct).AsTask();
                if (made.Name == Rendition.Thumbnail && format == RenditionFormat.Jpeg)
                {
                    await blobs.WriteThumbnailAsync(image.Id, Write, cancellationToken);
                }
                else
                {
                    await blobs.WriteDerivedAsync(DerivedKeys.Rendition(image.Id, rendition, format), Write, cancellationToken);
                }

                metrics.RenditionEncoded(format.ContractName(), file.EncodeTime, file.Bytes.Length);
            }

            renditions.Add(rendition);
        }

        if (!renditions.Any(r => r.Name == Rendition.Thumbnail && r.Has(RenditionFormat.Jpeg)))
        {
            throw new InvalidOperationException("The processor made no JPEG thumbnail.");
        }

        if (set.Colour is not ("none" or "srgb" or "converted"))
        {
            LogColour(image.Id, set.Colour);
        }

        return (set.Metadata, renditions, insight);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Image {ImageId}: its ICC profile was not converted to sRGB ({Colour})")]
    private partial void LogColour(Guid imageId, string colour);

    [LoggerMessage(Level = LogLevel.Information, Message = "Processed image {ImageId} ({Format} {Width}x{Height}) by the {Engine} processor in {ElapsedMs:F1} ms")]
    private partial void LogProcessed(Guid imageId, ImageFormat format, int width, int height, string engine, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image {ImageId} failed processing")]
    private partial void LogImageFailed(Exception exception, Guid imageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image {ImageId} refused before decoding: {Reason}")]
    private partial void LogRefused(Guid imageId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected error while processing image {ImageId}")]
    private partial void LogUnexpected(Exception exception, Guid imageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage fault while processing image {ImageId}; it goes back to pending and is tried again")]
    private partial void LogStorageFault(Exception exception, Guid imageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image {ImageId}: the lease of {Holder} lapsed; taking it over")]
    private partial void LogReclaimed(Guid imageId, string? holder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image {ImageId}: lease lost to another process; stopping")]
    private partial void LogLeaseLost(Guid imageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew the lease of image {ImageId}; trying again")]
    private partial void LogRenewalFailed(Exception exception, Guid imageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not give image {ImageId} back; its lease will lapse and recovery takes it")]
    private partial void LogReleaseFailed(Exception exception, Guid imageId);
}
