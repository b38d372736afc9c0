using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Images.Domain.Images;

namespace Images.Infrastructure.Insight;

/// <summary>
/// FR-9.3, NFR-7: the camera facts of an EXIF block, read from the container's header bytes only
/// (JPEG APP1, PNG eXIf before the image data, WebP EXIF chunk, TIFF's own IFD0 and Exif IFD) and
/// never trusted. Hard limits: at most <see cref="MaxBlockBytes"/> of EXIF read (the TIFF path reads
/// through a budget of the same size), at most <see cref="MaxContainerSteps"/> segments or chunks
/// walked, <see cref="MaxEntries"/> entries an IFD, three IFDs (IFD0, its Exif and GPS IFDs: no
/// chains, no other pointers, none visited twice), every offset and length checked against the block,
/// strings cut at <see cref="MaxString"/> printable characters. Anything out of bounds is skipped;
/// nothing here allocates more than the block.
/// HEIC: its Exif item lives in the meta box; that container is read on the branch that adds the
/// HEIC decoder (a hook: <see cref="ReadBlock"/> has no HEIC case yet).
/// </summary>
public static class ExifReader
{
    public const int MaxBlockBytes = 64 * 1024;
    public const int MaxContainerSteps = 256;
    public const int MaxEntries = 512;
    public const int MaxString = 64;

    private static readonly byte[] ExifPrefix = "Exif\0\0"u8.ToArray();

    /// <summary>The facts of the original's EXIF, or null (none, unreadable, or nothing of interest).</summary>
    public static ExifSummary? Read(Stream original, ImageFormat format)
    {
        if (!original.CanSeek || !original.CanRead)
        {
            return null;
        }

        original.Position = 0;
        ExifSummary? summary;
        if (format == ImageFormat.Tiff)
        {
            // A TIFF file is itself the TIFF structure EXIF uses: read it in place, within the budget.
            summary = Parse(new StreamSource(original, MaxBlockBytes));
        }
        else
        {
            var block = ReadBlock(original, format);
            summary = block is null ? null : ParseBlock(block);
        }

        return summary is null || summary.HasNothing() ? null : summary;
    }

    /// <summary>Parses an EXIF block (the TIFF structure, with or without the "Exif\0\0" prefix).</summary>
    public static ExifSummary? ParseBlock(ReadOnlySpan<byte> block)
    {
        if (block.StartsWith(ExifPrefix))
        {
            block = block[ExifPrefix.Length..];
        }

        if (block.Length > MaxBlockBytes)
        {
            block = block[..MaxBlockBytes];
        }

        var summary = Parse(new BlockSource(block.ToArray()));
        return summary is null || summary.HasNothing() ? null : summary;
    }

    /// <summary>The container's EXIF bytes (at most <see cref="MaxBlockBytes"/>), or null.</summary>
    internal static byte[]? ReadBlock(Stream s, ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => FromJpeg(s),
        ImageFormat.Png => FromPng(s),
        ImageFormat.Webp => FromWebp(s),
        _ => null,
    };

    private static byte[]? FromJpeg(Stream s)
    {
        Span<byte> head = stackalloc byte[4];
        Span<byte> prefix = stackalloc byte[6];
        if (!ReadExactly(s, head[..2]) || head[0] != 0xFF || head[1] != 0xD8)
        {
            return null;
        }

        for (var step = 0; step < MaxContainerSteps; step++)
        {
            if (!ReadExactly(s, head[..2]) || head[0] != 0xFF)
            {
                return null;
            }

            var marker = head[1];
            if (marker == 0xFF)
            {
                s.Seek(-1, SeekOrigin.Current); // fill byte
                continue;
            }

            if (marker is 0xDA or 0xD9)
            {
                return null; // image data (or the end) before any EXIF
            }

            if (marker is (>= 0xD0 and <= 0xD7) or 0x01)
            {
                continue;
            }

            if (!ReadExactly(s, head[..2]))
            {
                return null;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(head) - 2;
            if (length < 0)
            {
                return null;
            }

            if (marker == 0xE1 && length >= ExifPrefix.Length)
            {
                var start = s.Position;
                if (ReadExactly(s, prefix) && prefix.SequenceEqual(ExifPrefix))
                {
                    return ReadBytes(s, length - ExifPrefix.Length);
                }

                s.Position = start;
            }

            if (s.Seek(length, SeekOrigin.Current) > s.Length)
            {
                return null;
            }
        }

        return null;
    }

    private static byte[]? FromPng(Stream s)
    {
        Span<byte> head = stackalloc byte[8];
        if (!ReadExactly(s, head) || !head.SequenceEqual((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return null;
        }

        for (var step = 0; step < MaxContainerSteps; step++)
        {
            if (!ReadExactly(s, head))
            {
                return null;
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(head);
            var type = head[4..8];
            if (type.SequenceEqual("eXIf"u8))
            {
                return length <= MaxBlockBytes ? ReadBytes(s, (int)length) : null;
            }

            if (type.SequenceEqual("IDAT"u8) || type.SequenceEqual("IEND"u8))
            {
                return null; // EXIF after the image data is not looked for: the walk stays in the header
            }

            if (s.Seek(length + 4L, SeekOrigin.Current) > s.Length)
            {
                return null;
            }
        }

        return null;
    }

    private static byte[]? FromWebp(Stream s)
    {
        Span<byte> head = stackalloc byte[12];
        if (!ReadExactly(s, head) || !head[..4].SequenceEqual("RIFF"u8) || !head[8..12].SequenceEqual("WEBP"u8))
        {
            return null;
        }

        for (var step = 0; step < MaxContainerSteps; step++)
        {
            if (!ReadExactly(s, head[..8]))
            {
                return null;
            }

            var size = BinaryPrimitives.ReadUInt32LittleEndian(head[4..8]);
            if (head[..4].SequenceEqual("EXIF"u8))
            {
                return size <= MaxBlockBytes ? ReadBytes(s, (int)size) : null;
            }

            if (s.Seek(size + (size & 1L), SeekOrigin.Current) > s.Length)
            {
                return null;
            }
        }

        return null;
    }

    private static bool ReadExactly(Stream s, Span<byte> buffer) => s.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) == buffer.Length;

    private static byte[]? ReadBytes(Stream s, int count)
    {
        if (count <= 0 || count > MaxBlockBytes || s.Position + count > s.Length)
        {
            return null;
        }

        var bytes = new byte[count];
        return ReadExactly(s, bytes) ? bytes : null;
    }

    // --- The TIFF structure -------------------------------------------------------------------

    private const ushort ExifIfdPointer = 0x8769;
    private const ushort GpsIfdPointer = 0x8825;

    private static ExifSummary? Parse(ISource source)
    {
        Span<byte> header = stackalloc byte[8];
        if (!source.Read(0, header))
        {
            return null;
        }

        bool little;
        if (header[0] == 'I' && header[1] == 'I')
        {
            little = true;
        }
        else if (header[0] == 'M' && header[1] == 'M')
        {
            little = false;
        }
        else
        {
            return null;
        }

        var reader = new Reader(source, little);
        if (reader.U16(header[2..]) != 42)
        {
            return null;
        }

        var ifd0 = reader.ReadIfd(reader.U32(header[4..]));
        if (ifd0 is null)
        {
            return null;
        }

        var exif = ifd0.TryGetValue(ExifIfdPointer, out var e) ? reader.ReadIfd(reader.Long(e)) : null;
        var gps = ifd0.TryGetValue(GpsIfdPointer, out var g) ? reader.ReadIfd(reader.Long(g)) : null;
        exif ??= [];

        var takenAt = reader.Date(exif.GetValueOrDefault((ushort)0x9003)) ?? reader.Date(ifd0.GetValueOrDefault((ushort)0x0132));
        if (takenAt is not null && reader.Ascii(exif.GetValueOrDefault((ushort)0x9011)) is { } offset
            && offset.Length == 6 && offset[0] is '+' or '-' && offset[3] == ':'
            && TimeSpan.TryParseExact(offset[1..], @"hh\:mm", CultureInfo.InvariantCulture, out _))
        {
            takenAt += offset;
        }

        var lens = reader.Ascii(exif.GetValueOrDefault((ushort)0xA434));
        var iso = reader.Integer(exif.GetValueOrDefault((ushort)0x8827));
        // Make and model belong in IFD0; a few phones put them in the Exif IFD.
        return new ExifSummary(
            reader.Ascii(ifd0.GetValueOrDefault((ushort)0x010F)) ?? reader.Ascii(exif.GetValueOrDefault((ushort)0x010F)),
            reader.Ascii(ifd0.GetValueOrDefault((ushort)0x0110)) ?? reader.Ascii(exif.GetValueOrDefault((ushort)0x0110)),
            lens,
            takenAt,
            Positive(reader.Rational(exif.GetValueOrDefault((ushort)0x829A), 0)),
            Positive(reader.Rational(exif.GetValueOrDefault((ushort)0x829D), 0)),
            iso is > 0 and < 10_000_000 ? (int)iso : null,
            Positive(reader.Rational(exif.GetValueOrDefault((ushort)0x920A), 0)),
            gps is null ? null : Position(reader, gps));
    }

    private static double? Positive(double? value) => value is > 0 and < 1e7 ? Math.Round(value.Value, 6) : null;

    private static GpsPosition? Position(Reader reader, Dictionary<ushort, Entry> gps)
    {
        var lat = Degrees(reader, gps.GetValueOrDefault((ushort)2));
        var lon = Degrees(reader, gps.GetValueOrDefault((ushort)4));
        if (lat is not { } la || lon is not { } lo || la > 90 || lo > 180)
        {
            return null;
        }

        if (reader.Ascii(gps.GetValueOrDefault((ushort)1)) == "S")
        {
            la = -la;
        }

        if (reader.Ascii(gps.GetValueOrDefault((ushort)3)) == "W")
        {
            lo = -lo;
        }

        double? alt = reader.Rational(gps.GetValueOrDefault((ushort)6), 0) is { } a and >= 0 and < 1e6 ? a : null;
        if (alt is not null && reader.Integer(gps.GetValueOrDefault((ushort)5)) == 1)
        {
            alt = -alt;
        }

        return new GpsPosition(Math.Round(la, 7), Math.Round(lo, 7), alt is null ? null : Math.Round(alt.Value, 2));
    }

    private static double? Degrees(Reader reader, Entry? entry)
    {
        if (reader.Rational(entry, 0) is not { } d || d < 0)
        {
            return null;
        }

        var m = reader.Rational(entry, 1) ?? 0;
        var s = reader.Rational(entry, 2) ?? 0;
        return m is < 0 or >= 60 || s is < 0 or >= 60 ? null : d + m / 60 + s / 3600;
    }

    private sealed record Entry(ushort Type, uint Count, uint ValueOrOffset, byte[] Inline);

    private interface ISource
    {
        long Length { get; }

        /// <summary>Reads exactly buffer.Length bytes at offset, or returns false (out of bounds, over budget).</summary>
        bool Read(long offset, Span<byte> buffer);
    }

    private sealed class BlockSource(byte[] block) : ISource
    {
        public long Length => block.Length;

        public bool Read(long offset, Span<byte> buffer)
        {
            if (offset < 0 || offset + buffer.Length > block.Length)
            {
                return false;
            }

            block.AsSpan((int)offset, buffer.Length).CopyTo(buffer);
            return true;
        }
    }

    /// <summary>A TIFF file read in place; every byte read counts against the budget.</summary>
    private sealed class StreamSource(Stream stream, int budget) : ISource
    {
        private int _left = budget;

        public long Length => stream.Length;

        public bool Read(long offset, Span<byte> buffer)
        {
            if (offset < 0 || offset + buffer.Length > stream.Length || buffer.Length > _left)
            {
                return false;
            }

            _left -= buffer.Length;
            stream.Position = offset;
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) == buffer.Length;
        }
    }

    private sealed class Reader(ISource source, bool little)
    {
        private readonly HashSet<long> _visited = [];

        public ushort U16(ReadOnlySpan<byte> b) => little ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b);

        public uint U32(ReadOnlySpan<byte> b) => little ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);

        /// <summary>An IFD's entries by tag (the first of duplicates), or null; at most three IFDs, none twice.</summary>
        public Dictionary<ushort, Entry>? ReadIfd(long offset)
        {
            if (offset < 8 || _visited.Count >= 3 || !_visited.Add(offset))
            {
                return null;
            }

            Span<byte> countBytes = stackalloc byte[2];
            if (!source.Read(offset, countBytes))
            {
                return null;
            }

            var count = U16(countBytes);
            if (count == 0 || count > MaxEntries)
            {
                return null;
            }

            var raw = new byte[count * 12];
            if (!source.Read(offset + 2, raw))
            {
                return null;
            }

            var entries = new Dictionary<ushort, Entry>();
            for (var i = 0; i < count; i++)
            {
                var e = raw.AsSpan(i * 12, 12);
                entries.TryAdd(U16(e), new Entry(U16(e[2..]), U32(e[4..]), U32(e[8..]), e[8..12].ToArray()));
            }

            return entries;
        }

        private static int TypeSize(ushort type) => type switch
        {
            1 or 2 or 6 or 7 => 1,
            3 or 8 => 2,
            4 or 9 => 4,
            5 or 10 => 8,
            _ => 0,
        };

        /// <summary>The value's bytes when it has the size asked for and lies inside the source.</summary>
        private byte[]? Bytes(Entry? entry, int maxCount)
        {
            if (entry is null || TypeSize(entry.Type) is not (> 0 and var size) || entry.Count == 0 || entry.Count > maxCount)
            {
                return null;
            }

            var total = (int)entry.Count * size;
            if (total <= 4)
            {
                // Some writers (HTC phones) store a short string out of line even so: an inline
                // value starting with NUL whose bytes, read as an offset, point inside the block.
                if (entry.Type == 2 && entry.Inline[0] == 0 && entry.ValueOrOffset >= 8 && entry.ValueOrOffset + total <= source.Length)
                {
                    var outOfLine = new byte[total];
                    if (source.Read(entry.ValueOrOffset, outOfLine))
                    {
                        return outOfLine;
                    }
                }

                return entry.Inline[..total];
            }

            var bytes = new byte[total];
            return source.Read(entry.ValueOrOffset, bytes) ? bytes : null;
        }

        public long Long(Entry entry) => entry.Type is 4 or 13 && entry.Count == 1 ? entry.ValueOrOffset : -1;

        public long? Integer(Entry? entry)
        {
            if (entry is null || Bytes(entry, 16) is not { } b)
            {
                return null;
            }

            return entry.Type switch
            {
                1 or 7 => b[0],
                3 => U16(b),
                4 => U32(b),
                _ => null,
            };
        }

        public double? Rational(Entry? entry, int index)
        {
            if (entry is null || entry.Type is not (5 or 10) || index >= entry.Count || Bytes(entry, 16) is not { } b)
            {
                return null;
            }

            var part = b.AsSpan(index * 8, 8);
            double numerator = entry.Type == 5 ? U32(part) : (int)U32(part);
            double denominator = entry.Type == 5 ? U32(part[4..]) : (int)U32(part[4..]);
            if (denominator == 0)
            {
                return null;
            }

            var value = numerator / denominator;
            return double.IsFinite(value) ? value : null;
        }

        public string? Ascii(Entry? entry)
        {
            if (entry is null || entry.Type is not (2 or 7) || Bytes(entry, 256) is not { } b)
            {
                return null;
            }

            var text = new StringBuilder(MaxString);
            foreach (var c in b)
            {
                if (c == 0 || text.Length == MaxString)
                {
                    break;
                }

                if (c is >= 0x20 and < 0x7F)
                {
                    text.Append((char)c);
                }
            }

            var value = text.ToString().Trim();
            return value.Length == 0 ? null : value;
        }

        /// <summary>"YYYY:MM:DD HH:MM:SS" as "YYYY-MM-DDTHH:MM:SS", or null.</summary>
        public string? Date(Entry? entry) =>
            Ascii(entry) is { Length: >= 19 } text
            && DateTime.TryParseExact(text[..19], "yyyy:MM:dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
                ? date.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
                : null;
    }
}
