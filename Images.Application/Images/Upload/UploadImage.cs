using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Common;
using Images.Domain.Images;
using Microsoft.Extensions.Options;

namespace Images.Application.Images.Upload;

/// <summary>The file part of an upload, staged and identified by its magic bytes.</summary>
public sealed record StagedUpload(StagedBlob Blob, ImageFormat Format, string? Filename) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Blob.DisposeAsync();
}

public sealed record UploadImageCommand(StagedUpload File, IReadOnlyList<string> Tags, int? TtlHours);

/// <summary>FR-1: identify, stage, validate, persist and enqueue an upload.</summary>
public sealed class UploadImageHandler(
    IBlobStore blobs,
    IImageRepository images,
    IProcessingQueue queue,
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

    public async Task<ImageDto> HandleAsync(UploadImageCommand command, CancellationToken cancellationToken)
    {
        Image image;
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
                clock.GetUtcNow());
        }
        catch (DomainValidationException ex)
        {
            throw new ValidationException(ex.Errors);
        }

        // The row, the original and the processing task land together or not at all (FR-1.4, FR-2.7).
        await using (var work = await unitOfWork.BeginAsync(cancellationToken))
        {
            await images.AddAsync(image, command.File.Blob, cancellationToken);
            await queue.EnqueueAsync(image.Id, cancellationToken);
            await work.CommitAsync(cancellationToken);
        }

        metrics.Uploaded(image.Format.ContractName());
        return ImageDto.From(image);
    }

    private static bool IsDeclared(string? contentType) =>
        !string.IsNullOrWhiteSpace(contentType) &&
        !contentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase);
}
