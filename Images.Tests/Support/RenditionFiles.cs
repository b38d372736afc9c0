using System.Buffers.Binary;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Images.Tests.Support;

/// <summary>Reading rendition files in the tests: sizes, pixels (AVIF through the vips CLI), and every metadata block they carry.</summary>
public static class RenditionFiles
{
    /// <summary>An AVIF's size from its 'ispe' property (ISO/IEC 23008-12).</summary>
    public static (int Width, int Height) AvifSize(byte[] avif)
    {
        var at = avif.AsSpan().IndexOf("ispe"u8);
        Assert.True(at > 0, "no ispe box in the AVIF");
        return ((int)BinaryPrimitives.ReadUInt32BigEndian(avif.AsSpan(at + 8)), (int)BinaryPrimitives.ReadUInt32BigEndian(avif.AsSpan(at + 12)));
    }

    /// <summary>The pixels of a JPEG, PNG or WebP (ImageSharp) or an AVIF (vips, libheif with dav1d or aom).</summary>
    public static async Task<Image<Rgba32>> DecodeAsync(byte[] bytes, string format)
    {
        if (format != "avif")
        {
            return Image.Load<Rgba32>(bytes);
        }

        var work = Directory.CreateTempSubdirectory("images-avif-");
        try
        {
            var avif = Path.Combine(work.FullName, "in.avif");
            var png = Path.Combine(work.FullName, "out.png");
            await File.WriteAllBytesAsync(avif, bytes);
            var run = await RepositoryFiles.RunAsync("vips", ["copy", avif, png], TimeSpan.FromSeconds(60));
            Assert.True(run.ExitCode == 0, "vips could not decode the AVIF: " + run.Error);
            return Image.Load<Rgba32>(await File.ReadAllBytesAsync(png));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Every metadata block found in an encoded file: JPEG APPn segments (but JFIF's APP0), PNG
    /// ancillary chunks that carry metadata (eXIf, iCCP, tEXt, zTXt, iTXt, gAMA, cHRM, tIME),
    /// WebP EXIF, XMP and ICCP chunks, and in any file the tell-tale bytes of EXIF ("Exif\0\0", a
    /// TIFF header), XMP ("x:xmpmeta", "xap/1.0") and an ICC profile ("acsp" at its offset 36; AVIF:
    /// a 'colr' box of type 'prof' or 'rICC').
    /// </summary>
    public static List<string> MetadataBlocks(byte[] file, string format)
    {
        var found = new List<string>();
        var span = file.AsSpan();
        switch (format)
        {
            case "jpeg":
                for (var pos = 2; pos + 4 <= file.Length && file[pos] == 0xFF && file[pos + 1] != 0xDA;)
                {
                    var marker = file[pos + 1];
                    var length = (file[pos + 2] << 8) | file[pos + 3];
                    if (marker is >= 0xE1 and <= 0xEF)
                    {
                        found.Add($"APP{marker - 0xE0}");
                    }

                    pos += 2 + length;
                }

                break;
            case "png":
                for (var pos = 8; pos + 8 <= file.Length;)
                {
                    var length = (int)BinaryPrimitives.ReadUInt32BigEndian(span[pos..]);
                    var type = Encoding.ASCII.GetString(span.Slice(pos + 4, 4));
                    // (sRGB, which libpng's writer adds, is no metadata: it says the pixels are sRGB.)
                    if (type is "eXIf" or "iCCP" or "tEXt" or "zTXt" or "iTXt" or "gAMA" or "cHRM" or "tIME")
                    {
                        found.Add(type);
                    }

                    pos += 12 + length;
                }

                break;
            case "webp":
                for (var pos = 12; pos + 8 <= file.Length;)
                {
                    var type = Encoding.ASCII.GetString(span.Slice(pos, 4));
                    var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(pos + 4)..]);
                    if (type is "EXIF" or "XMP " or "ICCP")
                    {
                        found.Add(type);
                    }

                    pos += 8 + length + (length & 1);
                }

                break;
            case "avif":
                var colr = span.IndexOf("colr"u8);
                if (colr > 0 && colr + 8 <= file.Length && (span.Slice(colr + 4, 4).SequenceEqual("prof"u8) || span.Slice(colr + 4, 4).SequenceEqual("rICC"u8)))
                {
                    found.Add("colr ICC");
                }

                if (span.IndexOf("Exif"u8) >= 0)
                {
                    found.Add("Exif item");
                }

                if (span.IndexOf("application/rdf+xml"u8) >= 0)
                {
                    found.Add("XMP item");
                }

                break;
        }

        foreach (var (name, bytes) in new[] { ("EXIF", "Exif\0\0"u8.ToArray()), ("XMP", "x:xmpmeta"u8.ToArray()), ("XMP", "xap/1.0"u8.ToArray()), ("ICC", "acsp"u8.ToArray()), ("GPS", "GPSTEST"u8.ToArray()) })
        {
            if (span.IndexOf(bytes) >= 0)
            {
                found.Add(name + " bytes");
            }
        }

        return found;
    }

    /// <summary>
    /// A JPEG with every metadata block a phone writes, inserted after SOI: EXIF (orientation 6
    /// and a GPS IFD whose GPSAreaInformation reads "GPSTEST"), XMP (with a GPS position) and an
    /// ICC profile (APP2).
    /// </summary>
    public static byte[] JpegWithMetadata(byte[] jpeg, byte[] icc)
    {
        // TIFF, little-endian: IFD0 (Orientation = 6, GPSInfo -> the GPS IFD), the GPS IFD
        // (GPSLatitudeRef 'N', GPSAreaInformation "GPSTEST" as UNDEFINED).
        var tiff = new List<byte>();
        tiff.AddRange("II*\0"u8.ToArray());
        tiff.AddRange(BitConverter.GetBytes(8u));
        void Entry(ushort tag, ushort type, uint count, uint value)
        {
            tiff.AddRange(BitConverter.GetBytes(tag));
            tiff.AddRange(BitConverter.GetBytes(type));
            tiff.AddRange(BitConverter.GetBytes(count));
            tiff.AddRange(BitConverter.GetBytes(value));
        }

        tiff.AddRange(BitConverter.GetBytes((ushort)2));
        Entry(0x0112, 3, 1, 6);
        Entry(0x8825, 4, 1, 8 + 2 + 24 + 4);
        tiff.AddRange(BitConverter.GetBytes(0u));
        tiff.AddRange(BitConverter.GetBytes((ushort)2));
        Entry(0x0001, 2, 2, 'N');
        Entry(0x001C, 7, 7, (uint)(tiff.Count + 12 + 4));
        tiff.AddRange(BitConverter.GetBytes(0u));
        tiff.AddRange("GPSTEST"u8.ToArray());

        static byte[] Segment(byte marker, byte[] payload)
        {
            var segment = new byte[payload.Length + 4];
            segment[0] = 0xFF;
            segment[1] = marker;
            BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
            payload.CopyTo(segment, 4);
            return segment;
        }

        var exif = Segment(0xE1, [.. "Exif\0\0"u8.ToArray(), .. tiff]);
        var xmp = Segment(0xE1, [.. "http://ns.adobe.com/xap/1.0/\0"u8.ToArray(),
            .. Encoding.UTF8.GetBytes("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description xmlns:exif=\"http://ns.adobe.com/exif/1.0/\" exif:GPSLatitude=\"48,51.5N\" exif:GPSLongitude=\"2,17.6E\"/></rdf:RDF></x:xmpmeta>")]);
        var iccSegment = Segment(0xE2, [.. "ICC_PROFILE\0"u8.ToArray(), 1, 1, .. icc]);
        return [.. jpeg.AsSpan(0, 2), .. exif, .. xmp, .. iccSegment, .. jpeg.AsSpan(2)];
    }
}
