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
        ? "native (libimages_native) for JPEG, PNG, WebP and TIFF; managed (ImageSharp) for the variants it leaves aside"
        : "managed (ImageSharp) for every format";

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
}
