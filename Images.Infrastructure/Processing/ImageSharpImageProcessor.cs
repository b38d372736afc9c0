using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using DomainFormat = Images.Domain.Images.ImageFormat;
using Image = SixLabors.ImageSharp.Image;
using ImageMetadata = Images.Domain.Images.ImageMetadata;
using ImageProcessingException = Images.Application.Common.ImageProcessingException;

namespace Images.Infrastructure.Processing;

/// <summary>
/// The managed processor: SixLabors.ImageSharp 2.1 with only the accepted decoders it has registered
/// (JPEG, PNG, WebP, TIFF, GIF; HEIC and AVIF fail with a reason naming the missing library),
/// limits checked on the header before any decode, the first TIFF page and the first WebP or GIF frame
/// only, a memory allocator capped at the decode budget, and the time budget's token passed to the
/// decoders (which check it per row or strip; resizing cannot be stopped halfway) (NFR-7, NFR-8).
/// </summary>
public sealed class ImageSharpImageProcessor : IImageProcessor
{
    private const long MiB = 1024 * 1024;
    private readonly SixLabors.ImageSharp.Configuration _configuration;
    private readonly ProcessingOptions _options;

    public ImageSharpImageProcessor(IOptions<ProcessingOptions> options)
    {
        _options = options.Value;
        _configuration = new SixLabors.ImageSharp.Configuration(
            new JpegConfigurationModule(),
            new PngConfigurationModule(),
            new WebpConfigurationModule(),
            new TiffConfigurationModule(),
            new GifConfigurationModule())
        {
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
            {
                MaximumPoolSizeMegabytes = 64,
                // No single buffer beyond the whole decode budget (a second line behind the plan).
                AllocationLimitMegabytes = _options.MaxDecodeMemoryMegabytes,
            }),
        };
        // Only the first page of a TIFF is decoded (the stream also hides the others, see Containers).
        _configuration.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
        // Only the first frame of a GIF animation (FR-8.6); the count comes from Containers.GifFrames.
        _configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        // No PNG text, EXIF or ICC chunk is read: a compressed one is a bomb of its own. The
        // orientation comes from Containers.PngHeader instead.
        _configuration.ImageFormatsManager.SetDecoder(PngFormat.Instance, new PngDecoder { IgnoreMetadata = true });
    }

    public async Task<DecodePlan> PlanAsync(Stream original, DomainFormat format, CancellationToken cancellationToken)
    {
        var (source, frames, orientation, _) = FirstFrame(original, format);
        try
        {
            var info = await IdentifyAsync(source, format, cancellationToken);
            var tables = format == DomainFormat.Webp ? WebpLossless.TableBytes(source, cancellationToken) : 0;
            return new DecodePlan(info.Width, info.Height, frames,
                EstimateMemory(info, format, orientation ?? Orientation(info), source.Length) + (tables ?? 0) + RenditionsMemory(info, _options.LargestRenditionSide),
                "ImageSharp");
        }
        finally
        {
            original.Position = 0;
        }
    }

    public async Task<ImageMetadata> CreateThumbnailAsync(Stream original, DomainFormat format, Stream thumbnail, CancellationToken cancellationToken)
    {
        var (loaded, metadata) = await LoadAsync(original, format, cancellationToken);
        using var image = loaded;
        try
        {
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
            cancellationToken.ThrowIfCancellationRequested();
            await image.SaveAsJpegAsync(thumbnail, new JpegEncoder { Quality = _options.ThumbnailQuality }, cancellationToken);
            return metadata;
        }
        catch (Exception ex) when (IsDecodeFailure(ex))
        {
            throw new ImageProcessingException($"The {Name(format)} image could not be decoded: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// FR-8.1/FR-8.2 on the managed path: one decode, oriented, every metadata block dropped (EXIF,
    /// XMP, ICC, IPTC), the largest size resized from the source and the smaller ones from it; JPEG
    /// (flattened on white, as the thumbnail always was), lossy WebP and, for alpha, PNG. What
    /// ImageSharp 2.1 cannot do (ADR 12): convert an ICC profile to sRGB (it has no colour
    /// management: the pixels are kept as stored and the profile dropped, <c>Colour</c> says
    /// "kept"), and encode AVIF (not made here: <c>Unavailable</c>).
    /// </summary>
    public async Task<RenditionSet> CreateRenditionsAsync(Stream original, DomainFormat format, IReadOnlyList<RenditionSize> sizes, CancellationToken cancellationToken)
    {
        var (loaded, metadata) = await LoadAsync(original, format, cancellationToken);
        using var image = loaded;
        try
        {
            var colour = image.Metadata.IccProfile is null ? "none" : "kept";
            image.Mutate(x => x.AutoOrient());
            image.Metadata.ExifProfile = null;
            image.Metadata.XmpProfile = null;
            image.Metadata.IccProfile = null;
            image.Metadata.IptcProfile = null;
            var largestSide = sizes.Max(s => s.MaxSide);
            using var largest = Reduced(image, largestSide);
            var made = new List<EncodedRendition>(sizes.Count);
            foreach (var size in sizes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var rendition = size.MaxSide == largestSide ? largest.Clone() : Reduced(largest, size.MaxSide);
                var files = new Dictionary<RenditionFormat, EncodedFile>();
                using (var flat = rendition.Clone(x =>
                       {
                           if (metadata.HasAlpha)
                           {
                               x.BackgroundColor(Color.White);
                           }
                       }))
                {
                    files[RenditionFormat.Jpeg] = await EncodeAsync(flat, new JpegEncoder { Quality = _options.ThumbnailQuality }, cancellationToken);
                }

                files[RenditionFormat.Webp] = await EncodeAsync(rendition, new WebpEncoder { Quality = _options.WebpQuality, FileFormat = WebpFileFormatType.Lossy }, cancellationToken);
                if (metadata.HasAlpha)
                {
                    files[RenditionFormat.Png] = await EncodeAsync(rendition, new PngEncoder(), cancellationToken);
                }

                made.Add(new EncodedRendition(size.Name, rendition.Width, rendition.Height, files));
            }

            // FR-9.1/FR-9.2: the insight sample from the pixels already reduced (no second decode).
            var pixels = new byte[largest.Width * largest.Height * 4];
            largest.CopyPixelDataTo(pixels);
            return new RenditionSet(metadata, made, colour, [RenditionFormat.Avif])
            {
                Sample = Insight.PixelSampler.Sample(largest.Width, largest.Height, pixels),
            };
        }
        catch (Exception ex) when (IsDecodeFailure(ex))
        {
            throw new ImageProcessingException($"The {Name(format)} image could not be decoded: {ex.Message}", ex);
        }
    }

    /// <summary>A copy no larger than <paramref name="side"/> on its longest side (never upscaled), as the thumbnail is resized.</summary>
    private static Image<Rgba32> Reduced(Image<Rgba32> source, int side) => source.Clone(x =>
    {
        if (source.Width > side || source.Height > side)
        {
            x.Resize(new ResizeOptions { Mode = ResizeMode.Max, Size = new Size(side, side), Sampler = KnownResamplers.Bicubic });
        }
    });

    private static async Task<EncodedFile> EncodeAsync(Image<Rgba32> image, SixLabors.ImageSharp.Formats.IImageEncoder encoder, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var buffer = new MemoryStream();
        await image.SaveAsync(buffer, encoder, cancellationToken);
        return new EncodedFile(buffer.ToArray(), System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// The checks on the header (pixel limit, a JPEG's completeness and scans), then the decode of
    /// the first frame with the orientation the container gives set on it (NFR-7, NFR-8).
    /// </summary>
    private async Task<(Image<Rgba32> Image, ImageMetadata Metadata)> LoadAsync(Stream original, DomainFormat format, CancellationToken cancellationToken)
    {
        var (source, _, orientation, alpha) = FirstFrame(original, format);
        var info = await IdentifyAsync(source, format, cancellationToken);
        var metadata = Describe(info, format, alpha);
        if (info.Width <= 0 || info.Height <= 0)
        {
            throw new ImageProcessingException($"The image has invalid dimensions {info.Width}x{info.Height}.");
        }

        if (metadata.PixelCount > _options.MaxImagePixels)
        {
            throw new ImageProcessingException(
                $"The image is {info.Width}x{info.Height} ({metadata.PixelCount} pixels), over the limit of {_options.MaxImagePixels} pixels.");
        }

        source.Position = 0;
        if (format == DomainFormat.Jpeg)
        {
            var (complete, scans) = JpegStructure.Inspect(source);
            if (!complete)
            {
                throw new ImageProcessingException("The JPEG image is truncated or corrupt: no end-of-image marker follows its scan data.");
            }

            if (scans > ProcessingOptions.MaxJpegScans)
            {
                throw new ImageProcessingException($"The JPEG image has {scans} scans, more than the {ProcessingOptions.MaxJpegScans} a progressive JPEG may have.");
            }
        }

        try
        {
            // ImageSharp 2.1 checks the token between phases only; its decoders read the input as they
            // go, so a stream that throws once the token is cancelled stops a long decode within a
            // buffer's worth of input (NFR-8). The synchronous Load reads the stream incrementally,
            // where LoadAsync would copy it whole first.
            var image = await Task.Run(() => Image.Load<Rgba32>(_configuration, new CancellableReadStream(source, cancellationToken)), cancellationToken);
            if (cancellationToken.IsCancellationRequested)
            {
                image.Dispose();
                cancellationToken.ThrowIfCancellationRequested();
            }

            if (orientation is { } known)
            {
                image.Metadata.ExifProfile ??= new ExifProfile();
                image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)known);
            }

            return (image, metadata);
        }
        catch (Exception ex) when (IsDecodeFailure(ex))
        {
            throw new ImageProcessingException($"The {Name(format)} image could not be decoded: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The working memory of an ImageSharp decode, from the header: the Rgba32 image, a second one
    /// when orientation rotates or flips it, the decoder's own buffers (a JPEG's coefficients, a TIFF
    /// strip that may be the whole image, a WebP's planes), the resizer's row of vectors, the
    /// encoded file when ImageSharp buffers it, and a little slack.
    /// </summary>
    private static long EstimateMemory(IImageInfo info, DomainFormat format, int orientation, long fileBytes)
    {
        long pixels = (long)info.Width * info.Height;
        var image = pixels * 4;
        var oriented = orientation > 1 ? image : 0;
        var bitsPerPixel = info.PixelType?.BitsPerPixel ?? 32;
        var decoder = format switch
        {
            // Spectral blocks of every component (64 coefficients of 2 bytes per 64 pixels).
            DomainFormat.Jpeg => pixels * 2 * Math.Max(1, bitsPerPixel / 8),
            DomainFormat.Png => (long)info.Width * 16,
            DomainFormat.Tiff => pixels * Math.Max(1, (bitsPerPixel + 7) / 8),
            // Lossless keeps ARGB words and a transform buffer; lossy YUV planes and alpha.
            _ => pixels * 8,
        };
        return image + oriented + decoder + ((long)info.Width * 16) + fileBytes + (4 * MiB);
    }

    /// <summary>
    /// The renditions' share (FR-8.1): the largest rendition, the copy being encoded and its
    /// flattened copy (Rgba32 each), and the encoders' buffers (WebP's YUVA and state, generously
    /// 40 bytes a pixel).
    /// </summary>
    private static long RenditionsMemory(IImageInfo info, int largestSide)
    {
        var scale = Math.Min(1.0, (double)largestSide / Math.Max(info.Width, info.Height));
        var pixels = (long)Math.Ceiling(info.Width * scale) * (long)Math.Ceiling(info.Height * scale);
        return pixels * ((3 * 4) + 40);
    }

    private static int Orientation(IImageInfo info) => info.Metadata.ExifProfile?.GetValue(ExifTag.Orientation)?.Value ?? 1;

    /// <summary>
    /// What ImageSharp is given to decode: the first TIFF page, the first frame of a WebP animation;
    /// with the number of frames or pages, for a PNG or a TIFF the orientation read from its chunks or
    /// its first IFD, and for a TIFF whether it has alpha.
    /// </summary>
    private static (Stream Source, int Frames, int? Orientation, bool? Alpha) FirstFrame(Stream original, DomainFormat format)
    {
        original.Position = 0;
        switch (format)
        {
            case DomainFormat.Tiff when Containers.TiffFirstPage(original) is { } tiff:
                return (tiff.FirstPage, tiff.Pages, tiff.Orientation, tiff.Alpha);
            case DomainFormat.Webp when Containers.WebpTruncated(original):
                throw new ImageProcessingException("The WebP image is truncated: its RIFF header promises more bytes than the file holds.");
            case DomainFormat.Webp when Containers.WebpFrames(original) is { } webp:
                return (webp.FirstFrame is { } still ? new MemoryStream(still, writable: false) : original, webp.Frames, null, null);
            case DomainFormat.Png:
                var (frames, orientation) = Containers.PngHeader(original);
                return (original, frames, orientation, null);
            case DomainFormat.Gif when Containers.GifFrames(original) is { } gif:
                return (original, gif.Frames, null, gif.Alpha);
            case DomainFormat.Heic:
                // ImageSharp 2.1 reads neither: the native library's libheif or libavif was missing.
                throw new ImageProcessingException("HEIC decoding is not available on this machine (libheif).");
            case DomainFormat.Avif:
                throw new ImageProcessingException("AVIF decoding is not available on this machine (libavif).");
            default:
                return (original, 1, null, null);
        }
    }

    private async Task<IImageInfo> IdentifyAsync(Stream source, DomainFormat format, CancellationToken cancellationToken)
    {
        try
        {
            source.Position = 0;
            var info = await Image.IdentifyAsync(_configuration, source, cancellationToken)
                ?? throw new ImageProcessingException($"The file is not a readable {Name(format)} image.");
            source.Position = 0;
            return info;
        }
        catch (Exception ex) when (IsDecodeFailure(ex))
        {
            throw new ImageProcessingException($"The {Name(format)} image header could not be read: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// What ImageSharp throws for bad input (never for a failing stream: those are the store's).
    /// ImageSharp 2.1's JPEG and WebP Identify throw NullReferenceException on some corrupt headers,
    /// and a TIFF's Deflate strips throw System.IO.Compression's InvalidDataException: the image's
    /// fault too (ImageSharpCorruptionTests). Anything else from the planner would be taken for an
    /// infrastructure fault and retried for ever.
    /// </summary>
    private static bool IsDecodeFailure(Exception ex) =>
        ex is ImageFormatException or UnknownImageFormatException or InvalidImageContentException
            or InvalidMemoryOperationException or SixLabors.ImageSharp.ImageProcessingException or NotSupportedException
            or ArgumentException or InvalidOperationException or IndexOutOfRangeException or OverflowException
            or EndOfStreamException or OutOfMemoryException or NullReferenceException or InvalidDataException;

    private static string Name(DomainFormat format) => Images.Domain.Images.ImageFormatExtensions.ContractName(format);

    /// <param name="alpha">Whether the container says the image has alpha, when ImageSharp's pixel type does not (a TIFF's extra sample).</param>
    private static ImageMetadata Describe(IImageInfo info, DomainFormat format, bool? alpha)
    {
        var bits = info.PixelType?.BitsPerPixel ?? 24;
        var (channels, hasAlpha) = format switch
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
            DomainFormat.Gif => (alpha == true ? 4 : 3, alpha == true),
            _ => FromBits(bits, alpha == true || (info.PixelType?.AlphaRepresentation is { } a && a != PixelAlphaRepresentation.None)),
        };
        return new ImageMetadata(info.Width, info.Height, format, channels, hasAlpha);
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

    /// <summary>A read-only view of a stream whose every read first checks a cancellation token.</summary>
    private sealed class CancellableReadStream(Stream inner, CancellationToken cancellationToken) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return inner.Read(buffer, offset, count);
        }

        public override int Read(Span<byte> buffer)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return inner.Read(buffer);
        }

        public override int ReadByte()
        {
            cancellationToken.ThrowIfCancellationRequested();
            return inner.ReadByte();
        }

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
