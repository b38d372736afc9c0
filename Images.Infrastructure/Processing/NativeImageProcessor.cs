using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Native;
using Microsoft.Extensions.Options;
using Images.Domain.Images;
using DomainFormat = Images.Domain.Images.ImageFormat;
using ImageMetadata = Images.Domain.Images.ImageMetadata;

namespace Images.Infrastructure.Processing;

/// <summary>
/// The native fast path (NFR-4) for JPEG, PNG, WebP, TIFF and GIF, and the only path for HEIC and
/// AVIF (FR-8.6; libheif and libavif opened at run time): libimages_native decodes at reduced
/// scale and streams rows, so memory stays near the thumbnail's size (an animated WebP or GIF, an
/// AVIF sequence: the first frame; a TIFF: its first page, strip by strip or tile by tile). What it does not handle (CMYK
/// JPEG, interlaced PNG, a TIFF of float samples or ZSTD compression...) is reported as unsupported
/// and taken by the managed path.
/// </summary>
public sealed class NativeImageProcessor(IOptions<ProcessingOptions> options) : IImageProcessor
{
    /// <summary>Whether the library is loaded and decodes <paramref name="format"/> (the composite asks before choosing it).</summary>
    public bool Supports(DomainFormat format) =>
        NativeThumbnailer.IsAvailable && format is DomainFormat.Jpeg or DomainFormat.Png or DomainFormat.Webp or DomainFormat.Tiff
            or DomainFormat.Gif or DomainFormat.Heic or DomainFormat.Avif;

    /// <summary>
    /// The library's own plan: the working memory of the decoder it will run, read from the header
    /// (ADR 6). No limit is passed, so the figure comes back and the use case refuses it with the
    /// variable's name (NFR-8); the thumbnail call then applies every limit a second time.
    /// </summary>
    public async Task<DecodePlan> PlanAsync(Stream original, DomainFormat format, CancellationToken cancellationToken)
    {
        // The renditions' plan: the decode to the largest size and every encoding (FR-8.1).
        var request = RenditionsRequest(options.Value.Renditions, limited: false);
        NativeImageInfo info;
        try
        {
            info = original is FileStream file
                ? NativeRenditionMaker.Plan(file.Name, request)
                : NativeRenditionMaker.Plan(await ReadAllAsync(original, cancellationToken), request);
        }
        catch (NativeImageException ex) when (ex.Status == NativeStatus.TooLarge && original is FileStream file)
        {
            // Over a decoder's own side limit (libpng's 1,000,000, above IMG_MAX_IMAGE_SIDE's
            // largest value): the header's size is enough for the use case to refuse it by name.
            NativeImageInfo probed;
            try
            {
                probed = NativeThumbnailer.Probe(file.Name);
            }
            catch (NativeImageException refused) when (refused.Status is not NativeStatus.Io)
            {
                // The decoder refuses the header itself (libheif's size limit): the image's fault.
                throw new ImageProcessingException(ex.Message, ex);
            }

            return new DecodePlan(probed.Width, probed.Height, 1, long.MaxValue, $"libimages_native {probed.Format}: {ex.Message}", DecodePlan.Native);
        }
        catch (NativeImageException ex) when (ex.Status is NativeStatus.Invalid or NativeStatus.TooLarge or NativeStatus.OverBudget)
        {
            throw new ImageProcessingException(ex.Message, ex);
        }

        return new DecodePlan(info.Width, info.Height, info.Frames, info.MemoryBytes, $"libimages_native {info.Format}", DecodePlan.Native);
    }

    public async Task<ImageMetadata> CreateThumbnailAsync(Stream original, DomainFormat format, Stream thumbnail, CancellationToken cancellationToken)
    {
        var request = Request(limited: true);
        NativeThumbnail result;
        try
        {
            result = original is FileStream file
                ? NativeThumbnailer.CreateThumbnail(file.Name, request, cancellationToken)
                : NativeThumbnailer.CreateThumbnail(await ReadAllAsync(original, cancellationToken), request, cancellationToken);
        }
        catch (NativeImageException ex) when (ex.Status is NativeStatus.Invalid or NativeStatus.TooLarge or NativeStatus.OverBudget)
        {
            throw new ImageProcessingException(ex.Message, ex);
        }
        catch (NativeImageException ex) when (ex.Status == NativeStatus.Cancelled)
        {
            throw new OperationCanceledException(ex.Message, ex, cancellationToken);
        }

        await thumbnail.WriteAsync(result.Data, cancellationToken);
        var source = result.Source;
        return new ImageMetadata(source.Width, source.Height, format, source.Channels, source.HasAlpha);
    }

    /// <summary>
    /// FR-8.1/FR-8.2 in one call of the library: one decode, every size, JPEG, WebP, AVIF (when
    /// libavif loads) and PNG (for alpha), ICC to sRGB (when lcms2 loads).
    /// </summary>
    public async Task<RenditionSet> CreateRenditionsAsync(Stream original, DomainFormat format, IReadOnlyList<RenditionSize> sizes, CancellationToken cancellationToken)
    {
        var request = RenditionsRequest(sizes, limited: true);
        NativeRenditionSet result;
        try
        {
            result = original is FileStream file
                ? NativeRenditionMaker.Create(file.Name, request, cancellationToken)
                : NativeRenditionMaker.Create(await ReadAllAsync(original, cancellationToken), request, cancellationToken);
        }
        catch (NativeImageException ex) when (ex.Status is NativeStatus.Invalid or NativeStatus.TooLarge or NativeStatus.OverBudget)
        {
            throw new ImageProcessingException(ex.Message, ex);
        }
        catch (NativeImageException ex) when (ex.Status == NativeStatus.Cancelled)
        {
            throw new OperationCanceledException(ex.Message, ex, cancellationToken);
        }

        var renditions = sizes.Select((size, i) =>
        {
            var made = result.Renditions[i];
            var files = made.Files.ToDictionary(f => ToDomain(f.Key), f => new EncodedFile(f.Value, made.EncodeTimes[f.Key]));
            return new EncodedRendition(size.Name, made.Width, made.Height, files);
        }).ToList();
        var source = result.Source;
        return new RenditionSet(
            new ImageMetadata(source.Width, source.Height, format, source.Channels, source.HasAlpha),
            renditions,
            result.Colour.ToString().ToLowerInvariant(),
            result.AvifMissing ? [RenditionFormat.Avif] : [])
        {
            Sample = result.Sample is { } sample ? new PixelSample(sample.Width, sample.Height, sample.Rgba) : null,
        };
    }

    private static RenditionFormat ToDomain(NativeRenditionFormat format) => format switch
    {
        NativeRenditionFormat.Jpeg => RenditionFormat.Jpeg,
        NativeRenditionFormat.Webp => RenditionFormat.Webp,
        NativeRenditionFormat.Png => RenditionFormat.Png,
        _ => RenditionFormat.Avif,
    };

    private NativeRenditionsRequest RenditionsRequest(IReadOnlyList<RenditionSize> sizes, bool limited)
    {
        var settings = options.Value;
        return new NativeRenditionsRequest(
            [.. sizes.Select(s => s.MaxSide)],
            [NativeRenditionFormat.Jpeg, NativeRenditionFormat.Webp, NativeRenditionFormat.Png, NativeRenditionFormat.Avif],
            Request(limited),
            settings.WebpQuality,
            settings.AvifQuality,
            settings.AvifSpeed);
    }

    private NativeThumbnailRequest Request(bool limited)
    {
        var settings = options.Value;
        return limited
            ? new NativeThumbnailRequest(settings.ThumbnailMaxSize, settings.ThumbnailQuality, settings.MaxImagePixels, settings.MaxDecodeMemoryBytes, settings.MaxImageSide,
                MaxScans: ProcessingOptions.MaxJpegScans)
            : new NativeThumbnailRequest(settings.ThumbnailMaxSize, settings.ThumbnailQuality, long.MaxValue, MaxMemoryBytes: 0, MaxDimension: 0,
                MaxScans: ProcessingOptions.MaxJpegScans);
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
