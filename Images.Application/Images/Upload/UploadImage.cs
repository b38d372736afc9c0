using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Application.Webhooks;
using Images.Domain.Common;
using Images.Domain.Images;
using Microsoft.Extensions.Options;

namespace Images.Application.Images.Upload;

/// <summary>The file part of an upload, staged and identified by its magic bytes.</summary>
public sealed record StagedUpload(StagedBlob Blob, ImageFormat Format, string? Filename) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Blob.DisposeAsync();
}

public sealed record UploadImageCommand(StagedUpload File, IReadOnlyList<string> Tags, int? TtlHours, IdempotencyKey? IdempotencyKey = null);

/// <summary>The image resource and whether it is the stored answer of an earlier request with the same Idempotency-Key.</summary>
public sealed record UploadResult(ImageDto Image, bool Replayed);

/// <summary>FR-1: identify, stage, validate, persist and enqueue an upload.</summary>
public sealed class UploadImageHandler(
    IBlobStore blobs,
    IImageRepository images,
    IProcessingQueue queue,
    IWebhookOutbox webhooks,
    IIdempotencyStore idempotency,
    IUnitOfWork unitOfWork,
    ImagesMetrics metrics,
    IOptions<UploadOptions> options,
    TimeProvider clock)
{
    /// <summary>
    /// Reads the file part. The format comes from the magic bytes before anything else (FR-1.1), and
    /// the size limit is enforced only after the type check (FR-1.3), while streaming to disk (FR-1.2).
    /// </summary>
    public async Task<StagedUpload> StageAsync(Stream content, string? filename, string? declaredContentType, CancellationToken cancellationToken)
    {
        var header = new byte[ImageFormatSniffer.HeaderLength];
        var read = await content.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken);
        if (read == 0)
        {
            throw new ValidationException("file", "The file is empty.");
        }

        var format = ImageFormatSniffer.Detect(header.AsSpan(0, read))
            ?? throw new UnsupportedMediaTypeException(ImageFormatSniffer.Unsupported);

        if (IsDeclared(declaredContentType) && ImageFormatExtensions.FromContentType(declaredContentType) != format)
        {
            throw new UnsupportedMediaTypeException(
                $"The declared content type '{declaredContentType}' does not match the file's content ({format.ContentType()}).");
        }

        var blob = await blobs.StageAsync(header.AsMemory(0, read), content, options.Value.MaxUploadBytes, cancellationToken);
        return new StagedUpload(blob, format, filename);
    }

    public async Task<UploadResult> HandleAsync(UploadImageCommand command, CancellationToken cancellationToken)
    {
        Image image;
        var now = clock.GetUtcNow();
        try
        {
            image = Image.Create(
                Guid.CreateVersion7(),
                command.File.Filename,
                command.File.Format,
                command.File.Blob.Length,
                command.File.Blob.Hash,
                command.Tags,
                command.TtlHours,
                now);
        }
        catch (DomainValidationException ex)
        {
            throw new ValidationException(ex.Errors);
        }

        // The row, the original, the processing task, the image.created event and the idempotency
        // record land together or not at all (FR-1.4, FR-2.7, FR-9.4, FR-10.2).
        ImageDto created;
        await using (var work = await unitOfWork.BeginAsync(cancellationToken))
        {
            if (command.IdempotencyKey is { } key)
            {
                // Claimed before anything is written: a concurrent request with the key waits here
                // for this transaction and then finds its answer (ADR 13).
                var fingerprint = IdempotencyKey.Fingerprint(command);
                if (await idempotency.ClaimAsync(key.Scope, key.Value, fingerprint, now, now + IdempotencyKey.Lifetime, cancellationToken) is { } earlier)
                {
                    if (earlier.Fingerprint != fingerprint)
                    {
                        throw new IdempotencyKeyMismatchException(
                            "This Idempotency-Key was used within 24 hours for a different upload (other bytes, filename, tags or ttl_hours); use a new key for a new upload.");
                    }

                    return new UploadResult(earlier.Response, Replayed: true);
                }
            }

            await images.AddAsync(image, command.File.Blob, cancellationToken);
            await queue.EnqueueAsync(image.Id, cancellationToken);
            created = ImageDto.From(image, exposeGps: false); // nothing is read from the file before processing
            await webhooks.RecordAsync(WebhookEventTypes.Created, created, cancellationToken);
            if (command.IdempotencyKey is { } claimed)
            {
                await idempotency.CompleteAsync(claimed.Scope, claimed.Value, 201, created, cancellationToken);
            }

            await work.CommitAsync(cancellationToken);
        }

        metrics.Uploaded(image.Format.ContractName());
        return new UploadResult(created, Replayed: false);
    }

    private static bool IsDeclared(string? contentType) =>
        !string.IsNullOrWhiteSpace(contentType) &&
        !contentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase);
}
