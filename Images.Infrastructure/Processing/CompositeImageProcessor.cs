using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Native;
using Microsoft.Extensions.Options;
using DomainFormat = Images.Domain.Images.ImageFormat;
using ImageMetadata = Images.Domain.Images.ImageMetadata;

namespace Images.Infrastructure.Processing;

/// <summary>
/// Chooses per format: the native path where it is available and not switched off
/// (IMG_NATIVE_PROCESSING=false), ImageSharp otherwise, and ImageSharp again when the native path
/// reports a feature it does not handle.
/// </summary>
public sealed partial class CompositeImageProcessor(
    NativeImageProcessor native,
    ImageSharpImageProcessor managed,
    IOptions<NativeProcessingOptions> options) : IImageProcessor
{
    public string ActivePath => options.Value.Enabled && NativeThumbnailer.IsAvailable
        ? "native (libimages_native) for JPEG, PNG, WebP, TIFF, GIF, HEIC and AVIF; managed (ImageSharp) for the variants it leaves aside"
        : "managed (ImageSharp) for every format";

    /// <summary>
    /// What the renditions can be (FR-8.2, ADR 12): AVIF and the ICC conversion need libavif and
    /// lcms2, which the native library opens at run time; said on /health and in the start-up log.
    /// </summary>
    public string RenditionFeatures => options.Value.Enabled && NativeThumbnailer.IsAvailable
        ? NativeRenditionMaker.FeatureStatus
        : "AVIF: not available (the managed path has no AVIF encoder); ICC: not converted (ImageSharp 2.1 has no colour management); "
          + "HEIC input: not available (the managed path has no HEIF decoder); AVIF input: not available (the managed path has no AVIF decoder)";

    public bool AvifAvailable => options.Value.Enabled && NativeThumbnailer.IsAvailable && NativeRenditionMaker.Features.HasFlag(NativeFeatures.Avif);

    public async Task<DecodePlan> PlanAsync(Stream original, DomainFormat format, CancellationToken cancellationToken)
    {
        if (options.Value.Enabled && native.Supports(format))
        {
            try
            {
                return await native.PlanAsync(original, format, cancellationToken);
            }
            catch (NativeImageException ex) when (ex.Status == NativeStatus.Unsupported)
            {
                original.Position = 0;
            }
        }

        return await managed.PlanAsync(original, format, cancellationToken);
    }

    public async Task<ImageMetadata> CreateThumbnailAsync(Stream original, DomainFormat format, Stream thumbnail, CancellationToken cancellationToken)
    {
        if (options.Value.Enabled && native.Supports(format))
        {
            try
            {
                return await native.CreateThumbnailAsync(original, format, thumbnail, cancellationToken);
            }
            catch (NativeImageException ex) when (ex.Status == NativeStatus.Unsupported)
            {
                original.Position = 0;
                thumbnail.SetLength(0);
            }
        }

        return await managed.CreateThumbnailAsync(original, format, thumbnail, cancellationToken);
    }

    public async Task<RenditionSet> CreateRenditionsAsync(Stream original, DomainFormat format, IReadOnlyList<RenditionSize> sizes, CancellationToken cancellationToken)
    {
        if (options.Value.Enabled && native.Supports(format))
        {
            try
            {
                return await native.CreateRenditionsAsync(original, format, sizes, cancellationToken);
            }
            catch (NativeImageException ex) when (ex.Status == NativeStatus.Unsupported)
            {
                original.Position = 0;
            }
        }

        return await managed.CreateRenditionsAsync(original, format, sizes, cancellationToken);
    }
}
