using System.Buffers.Binary;

namespace Images.Domain.Images;

/// <summary>
/// Decides an upload's format from its magic bytes (FR-1.1, FR-8.6); the declared content type is never trusted.
/// </summary>
public static class ImageFormatSniffer
{
    /// <summary>
    /// How many leading bytes <see cref="Detect"/> needs to decide: enough for an ISO-BMFF `ftyp`
    /// box with up to 60 compatible brands (real HEIC and AVIF files list 2 to 8).
    /// </summary>
    public const int HeaderLength = 256;

    /// <summary>The message of the 415 for bytes that are none of these formats.</summary>
    public const string Unsupported = "Unsupported file type: the content is not a JPEG, PNG, WebP, TIFF, GIF, HEIC or AVIF image.";

    public static ImageFormat? Detect(ReadOnlySpan<byte> header)
    {
        if (header.Length >= 3 && header[0] == 0xFF && header[1] == 0xD8 && header[2] == 0xFF)
        {
            return ImageFormat.Jpeg;
        }

        if (header.Length >= 8 && header[..8].SequenceEqual(PngSignature))
        {
            return ImageFormat.Png;
        }

        if (header.Length >= 12 && header[..4].SequenceEqual("RIFF"u8) && header[8..12].SequenceEqual("WEBP"u8))
        {
            return ImageFormat.Webp;
        }

        if (header.Length >= 4 &&
            ((header[0] == (byte)'I' && header[1] == (byte)'I' && (header[2] == 42 || header[2] == 43) && header[3] == 0) ||
             (header[0] == (byte)'M' && header[1] == (byte)'M' && header[2] == 0 && (header[3] == 42 || header[3] == 43))))
        {
            return ImageFormat.Tiff;
        }

        if (header.Length >= 6 && (header[..6].SequenceEqual("GIF87a"u8) || header[..6].SequenceEqual("GIF89a"u8)))
        {
            return ImageFormat.Gif;
        }

        return IsoBmff(header);
    }

    /// <summary>
    /// An ISO-BMFF file starts with its `ftyp` box: size, "ftyp", the major brand, a minor version,
    /// then compatible brands to the box's end (read within the header only). AVIF when a brand is
    /// avif/avis (an AVIF lists mif1 too, so AVIF wins); HEIC when one is heic/heix/hevc/hevx/heim/
    /// heis/mif1/msf1 (the same brands the native library and libheif accept).
    /// </summary>
    private static ImageFormat? IsoBmff(ReadOnlySpan<byte> header)
    {
        if (header.Length < 16 || !header[4..8].SequenceEqual("ftyp"u8))
        {
            return null;
        }

        var boxSize = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (boxSize < 16)
        {
            return null;
        }

        var end = (int)Math.Min(boxSize, (uint)header.Length);
        ImageFormat? found = null;
        for (var at = 8; at + 4 <= end; at += at == 8 ? 8 : 4)
        {
            var brand = header.Slice(at, 4);
            if (brand.SequenceEqual("avif"u8) || brand.SequenceEqual("avis"u8))
            {
                return ImageFormat.Avif;
            }

            if (IsHeifBrand(brand))
            {
                found = ImageFormat.Heic;
            }
        }

        return found;
    }

    private static bool IsHeifBrand(ReadOnlySpan<byte> brand) =>
        brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("hevc"u8) || brand.SequenceEqual("hevx"u8) ||
        brand.SequenceEqual("heim"u8) || brand.SequenceEqual("heis"u8) || brand.SequenceEqual("mif1"u8) || brand.SequenceEqual("msf1"u8);

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
}
