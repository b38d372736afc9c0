using Images.Application.Abstractions;
using Images.Application.Common;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using DomainFormat = Images.Domain.Images.ImageFormat;
using Image = SixLabors.ImageSharp.Image;
using ImageMetadata = Images.Domain.Images.ImageMetadata;
using ImageProcessingException = Images.Application.Common.ImageProcessingException;

namespace Images.Infrastructure.Processing;

/// <summary>
/// The managed processor: SixLabors.ImageSharp 2.1 with only the four accepted decoders registered,
/// a pixel limit checked on the header before any decode, and a capped memory allocator (NFR-7).
/// </summary>
public sealed class ImageSharpImageProcessor : IImageProcessor
{
    private readonly SixLabors.ImageSharp.Configuration _configuration;
    private readonly ProcessingOptions _options;

    public ImageSharpImageProcessor(IOptions<ProcessingOptions> options)
    {
        _options = options.Value;

        // Largest buffer one decode may need: 8 bytes a pixel (Rgba64 for 16-bit sources) at the pixel limit.
        var limitMegabytes = (int)Math.Clamp(_options.MaxImagePixels * 8 / (1024 * 1024) + 64, 64, int.MaxValue);
        _configuration = new SixLabors.ImageSharp.Configuration(
            new JpegConfigurationModule(),
            new PngConfigurationModule(),
            new WebpConfigurationModule(),
            new TiffConfigurationModule())
        {
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
            {
                MaximumPoolSizeMegabytes = 64,
                AllocationLimitMegabytes = limitMegabytes,
            }),
        };
    }

    public bool Supports(DomainFormat format) => true;

    public async Task<ImageMetadata> CreateThumbnailAsync(Stream original, DomainFormat format, Stream thumbnail, CancellationToken cancellationToken)
    {
        try
        {
            var info = await Image.IdentifyAsync(_configuration, original, cancellationToken)
                ?? throw new ImageProcessingException($"The file is not a readable {Images.Domain.Images.ImageFormatExtensions.ContractName(format)} image.");
            var metadata = Describe(info, format);
            if (info.Width <= 0 || info.Height <= 0)
            {
                throw new ImageProcessingException($"The image has invalid dimensions {info.Width}x{info.Height}.");
            }

            if (metadata.PixelCount > _options.MaxImagePixels)
            {
                throw new ImageProcessingException(
                    $"The image is {info.Width}x{info.Height} ({metadata.PixelCount} pixels), over the limit of {_options.MaxImagePixels} pixels.");
            }

            original.Position = 0;
            if (format == DomainFormat.Jpeg && !JpegStructure.IsComplete(original))
            {
                throw new ImageProcessingException("The JPEG image is truncated or corrupt: no end-of-image marker follows its scan data.");
            }

            using var image = await Image.LoadAsync<Rgba32>(_configuration, original, cancellationToken);
            var max = _options.ThumbnailMaxSize;
            image.Mutate(x =>
            {
                x.AutoOrient();
                var size = x.GetCurrentSize();
                if (size.Width > max || size.Height > max)
                {
                    x.Resize(new ResizeOptions { Mode = ResizeMode.Max, Size = new Size(max, max), Sampler = KnownResamplers.Bicubic });
                }

                if (metadata.HasAlpha)
                {
                    x.BackgroundColor(Color.White);
                }
            });

            await image.SaveAsJpegAsync(thumbnail, new JpegEncoder { Quality = _options.ThumbnailQuality }, cancellationToken);
            return metadata;
        }
        catch (ImageProcessingException)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception ex) when (ex is ImageFormatException or UnknownImageFormatException or InvalidImageContentException
                                       or InvalidMemoryOperationException or SixLabors.ImageSharp.ImageProcessingException or NotSupportedException or ArgumentException
                                       or InvalidOperationException or IndexOutOfRangeException or OverflowException
                                       or EndOfStreamException or OutOfMemoryException)
        {
            throw new ImageProcessingException($"The {Images.Domain.Images.ImageFormatExtensions.ContractName(format)} image could not be decoded: {ex.Message}", ex);
        }
    }

    private static ImageMetadata Describe(IImageInfo info, DomainFormat format)
    {
        var bits = info.PixelType?.BitsPerPixel ?? 24;
        var (channels, alpha) = format switch
        {
            DomainFormat.Jpeg => info.Metadata.GetJpegMetadata().ColorType switch
            {
                JpegColorType.Luminance => (1, false),
                JpegColorType.Cmyk => (4, false),
                _ => (3, false),
            },
            DomainFormat.Png => info.Metadata.GetPngMetadata() switch
            {
                { ColorType: PngColorType.Grayscale } => (1, false),
                { ColorType: PngColorType.GrayscaleWithAlpha } => (2, true),
                { ColorType: PngColorType.RgbWithAlpha } => (4, true),
                { ColorType: PngColorType.Palette, HasTransparency: true } => (4, true),
                _ => (3, false),
            },
            _ => FromBits(bits, info.PixelType?.AlphaRepresentation is { } a && a != PixelAlphaRepresentation.None),
        };
        return new ImageMetadata(info.Width, info.Height, format, channels, alpha);
    }

    private static (int Channels, bool Alpha) FromBits(int bits, bool alpha)
    {
        var channels = bits switch
        {
            <= 16 when !alpha => 1,
            <= 16 => 2,
            <= 24 => 3,
            32 when !alpha => 3,
            32 => 4,
            48 => 3,
            _ => 4,
        };
        return (channels, alpha || channels is 2 or 4);
    }
}
