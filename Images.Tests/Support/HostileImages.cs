using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Images.Tests.Support;

/// <summary>
/// Hostile files of NFR-7/NFR-8, written byte by byte: decompression bombs whose headers claim far
/// more than their few hundred kilobytes hold (PNG rows of zeros under a tiny zlib stream, lossless
/// WebP of zero-bit pixels, Huffman-group bombs), progressive JPEGs of thousands of scans,
/// animations, and the damaged-file helpers (truncation, extraneous bytes, a missing EOI).
/// </summary>
public static class HostileImages
{
    /// <summary>
    /// A valid PNG of any size: IHDR as given, then a zlib stream of width x height pixels of zeros
    /// in rows with filter type 0 (about a thousandth of their size), then IEND. Chunks can be
    /// added before and after the image data (APNG's acTL/fcTL/fdAT, for instance).
    /// </summary>
    public static byte[] Png(long width, long height, byte colorType = 6, byte bitDepth = 8,
        IEnumerable<(string Type, byte[] Data)>? beforeImageData = null, IEnumerable<(string Type, byte[] Data)>? afterImageData = null,
        byte filter = 0)
    {
        var channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        var rowBytes = 1 + ((width * channels * bitDepth) + 7) / 8;
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = bitDepth;
        ihdr[9] = colorType;
        WriteChunk(png, "IHDR", ihdr);
        foreach (var (type, data) in beforeImageData ?? [])
        {
            WriteChunk(png, type, data);
        }

        WriteChunk(png, "IDAT", filter == 0 ? Zeros(rowBytes * height) : Rows(rowBytes, height, filter));
        foreach (var (type, data) in afterImageData ?? [])
        {
            WriteChunk(png, type, data);
        }

        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A zlib stream of <paramref name="height"/> rows of zeros, each with <paramref name="filter"/> as its filter type.</summary>
    private static byte[] Rows(long rowBytes, long height, byte filter)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[rowBytes];
            row[0] = filter;
            for (var y = 0; y < height; y++)
            {
                zlib.Write(row);
            }
        }

        return compressed.ToArray();
    }

    /// <summary>A zlib stream of <paramref name="count"/> zero bytes (about 1,000 to 1 for long runs).</summary>
    public static byte[] Zeros(long count)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (var left = count; left > 0; left -= zeros.Length)
            {
                zlib.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
            }
        }

        return compressed.ToArray();
    }

    /// <summary>An APNG: <paramref name="png"/> (a still PNG) with acTL (num_frames) and the default image's fcTL before its IDAT, and one fdAT frame after it.</summary>
    public static byte[] Apng(byte[] png, int frames)
    {
        var (width, height) = (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        var actl = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(actl, frames);
        var fctl = new byte[26];
        BinaryPrimitives.WriteInt32BigEndian(fctl.AsSpan(4), width);
        BinaryPrimitives.WriteInt32BigEndian(fctl.AsSpan(8), height);
        BinaryPrimitives.WriteInt16BigEndian(fctl.AsSpan(20), 1);
        BinaryPrimitives.WriteInt16BigEndian(fctl.AsSpan(22), 10);
        var secondFctl = (byte[])fctl.Clone();
        BinaryPrimitives.WriteInt32BigEndian(secondFctl, 1);
        var fdat = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(fdat, 2);
        var chunks = Chunks(png).ToList();
        var (first, last) = (chunks.FindIndex(c => c.Type == "IDAT"), chunks.FindLastIndex(c => c.Type == "IDAT"));

        using var apng = new MemoryStream();
        apng.Write(png.AsSpan(0, 8));
        for (var i = 0; i < chunks.Count; i++)
        {
            if (i == first)
            {
                WriteChunk(apng, "acTL", actl);
                WriteChunk(apng, "fcTL", fctl);
            }

            WriteChunk(apng, chunks[i].Type, chunks[i].Data);
            if (i == last)
            {
                WriteChunk(apng, "fcTL", secondFctl);
                WriteChunk(apng, "fdAT", [.. fdat, .. chunks[first].Data]);
            }
        }

        return apng.ToArray();
    }

    /// <summary>
    /// A progressive JPEG of <paramref name="width"/> x <paramref name="height"/> pixels, 4:2:0,
    /// made of <paramref name="scans"/> DC scans that each hold two bytes of entropy-coded data
    /// where a whole scan needs far more (truncated scans), then EOI: the 600 KB file.
    /// </summary>
    public static byte[] ProgressiveJpegOfTruncatedDcScans(int width, int height, int scans)
    {
        using var jpeg = new MemoryStream();
        jpeg.Write([0xFF, 0xD8]);
        WriteQuantisationTable(jpeg);
        WriteSegment(jpeg, 0xC2, [8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 3, 1, 0x22, 0, 2, 0x11, 0, 3, 0x11, 0]);
        WriteHuffmanTable(jpeg, 0, new() { [1] = [0] });
        for (var i = 0; i < scans; i++)
        {
            WriteSegment(jpeg, 0xDA, [3, 1, 0, 2, 0, 3, 0, 0, 0, 0]);
            jpeg.Write([0x00, 0x00]);
        }

        jpeg.Write([0xFF, 0xD9]);
        return jpeg.ToArray();
    }

    /// <summary>
    /// A valid greyscale progressive JPEG: a complete DC scan (every block grey), then
    /// <paramref name="acScans"/> complete AC scans over coefficients 1..63, each a few end-of-band
    /// runs covering every block (a few bytes a scan, however large the image), then EOI.
    /// </summary>
    public static byte[] ProgressiveJpegOfEmptyAcScans(int width, int height, int acScans)
    {
        var blocks = (long)((width + 7) / 8) * ((height + 7) / 8);
        using var jpeg = new MemoryStream();
        jpeg.Write([0xFF, 0xD8]);
        WriteQuantisationTable(jpeg);
        WriteSegment(jpeg, 0xC2, [8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 1, 1, 0x11, 0]);
        WriteHuffmanTable(jpeg, 0x00, new() { [1] = [0] });                                 // DC: difference 0 = "0"
        WriteHuffmanTable(jpeg, 0x10, new() { [1] = [0xE0], [2] = [0x10], [3] = [0x00] }); // AC: EOB14, EOB1, EOB0
        WriteSegment(jpeg, 0xDA, [1, 1, 0x00, 0, 0, 0x00]);
        var dc = new BitWriter();
        for (var i = 0L; i < blocks; i++)
        {
            dc.Put(0, 1);
        }

        jpeg.Write(dc.ToArray());
        var ac = new BitWriter();
        var left = blocks;
        for (; left >= 16384; left -= Math.Min(left, 32767))
        {
            ac.Put(0, 1);
            ac.Put((int)(Math.Min(left, 32767) - 16384), 14);
        }

        for (; left >= 2; left -= 2)
        {
            ac.Put(0b10, 2);
            ac.Put(0, 1);
        }

        for (; left >= 1; left--)
        {
            ac.Put(0b110, 3);
        }

        var acData = ac.ToArray();
        for (var i = 0; i < acScans; i++)
        {
            WriteSegment(jpeg, 0xDA, [1, 1, 0x00, 1, 63, 0x00]);
            jpeg.Write(acData);
        }

        jpeg.Write([0xFF, 0xD9]);
        return jpeg.ToArray();
    }

    /// <summary>The JPEG with <paramref name="garbage"/> (no 0xFF) inserted before the marker at <paramref name="markerOffset"/>: libjpeg's "extraneous bytes before marker".</summary>
    public static byte[] WithExtraneousBytes(byte[] jpeg, int markerOffset, byte[] garbage) =>
        [.. jpeg.AsSpan(0, markerOffset), .. garbage, .. jpeg.AsSpan(markerOffset)];

    /// <summary>The offset of the first marker after the SOI marker and its first segment (an APPn or DQT in every encoder's output).</summary>
    public static int SecondSegmentOffset(byte[] jpeg) => 2 + 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(4));

    /// <summary>Where the entropy-coded data of the <paramref name="scan"/>th scan (1-based) starts and ends.</summary>
    public static (int Start, int End) ScanData(byte[] jpeg, int scan)
    {
        var position = 2;
        var seen = 0;
        while (position + 4 <= jpeg.Length)
        {
            var marker = jpeg[position + 1];
            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(position + 2));
            if (marker != 0xDA)
            {
                position += 2 + length;
                continue;
            }

            var start = position + 2 + length;
            var end = start;
            while (end + 1 < jpeg.Length && !(jpeg[end] == 0xFF && jpeg[end + 1] is not (0x00 or (>= 0xD0 and <= 0xD7) or 0xFF)))
            {
                end++;
            }

            if (++seen == scan)
            {
                return (start, end);
            }

            position = end;
        }

        throw new ArgumentException($"the JPEG has fewer than {scan} scans", nameof(scan));
    }

    /// <summary>
    /// A lossless WebP of any size (at most 16384 x 16384) whose every pixel is <paramref name="argb"/>:
    /// no transform, five single-symbol prefix codes, so each pixel takes no bits at all (the
    /// 16383 x 16383 one is 28 bytes and decodes to 1 GiB of ARGB).
    /// </summary>
    public static byte[] LosslessWebp(int width, int height, uint argb = 0) => Riff(("VP8L", LosslessStream(width, height, argb)));

    /// <summary>
    /// A lossless WebP whose entropy image gives every 4 x 4 block its own group of prefix codes
    /// (up to 65,536): libwebp allocates lookup tables for each group, about 12 KiB, however
    /// small the image (1024 x 1024: 295 KB of file, about 780 MiB of tables).
    /// </summary>
    public static byte[] LosslessWebpWithManyCodeGroups(int width, int height)
    {
        var w = new BitWriter(lsbFirst: true);
        LosslessHeader(w, width, height, alpha: false);
        w.Put(0, 1);     // no transform
        w.Put(0, 1);     // no colour cache
        w.Put(1, 1);     // meta prefix codes
        w.Put(0, 3);     // ... one group per 4 x 4 block
        var (ex, ey) = ((width + 3) / 4, (height + 3) / 4);
        w.Put(0, 1);     // the entropy image: no colour cache, green and red codes of 256 8-bit symbols
        FullByteCode(w);
        FullByteCode(w);
        SingleSymbolCode(w, 0);
        SingleSymbolCode(w, 0);
        SingleSymbolCode(w, 0);
        for (var i = 0; i < ex * ey; i++)
        {
            var group = i & 0xFFFF;
            w.PutCode(group & 0xFF, 8);
            w.PutCode(group >> 8, 8);
        }

        for (var i = 0; i < Math.Min(ex * ey, 65536) * 5; i++)
        {
            SingleSymbolCode(w, 0); // every group: five single-symbol codes
        }

        return Riff(("VP8L", w.ToArray()));
    }

    /// <summary>
    /// An animated WebP: a canvas of <paramref name="width"/> x <paramref name="height"/>, one
    /// lossless frame per colour covering it, each frame 100 ms.
    /// </summary>
    public static byte[] AnimatedWebp(int width, int height, params uint[] frameColours)
    {
        var vp8x = new byte[10];
        vp8x[0] = 0x02 | 0x10; // animation, alpha
        WriteUInt24(vp8x.AsSpan(4), width - 1);
        WriteUInt24(vp8x.AsSpan(7), height - 1);
        var chunks = new List<(string, byte[])> { ("VP8X", vp8x), ("ANIM", [0, 0, 0, 0, 0, 0]) };
        foreach (var colour in frameColours)
        {
            var header = new byte[16];
            WriteUInt24(header.AsSpan(6), width - 1);
            WriteUInt24(header.AsSpan(9), height - 1);
            WriteUInt24(header.AsSpan(12), 100);
            header[15] = 0x02; // no blending
            using var frame = new MemoryStream();
            frame.Write(header);
            WriteRiffChunk(frame, "VP8L", LosslessStream(width, height, colour));
            chunks.Add(("ANMF", frame.ToArray()));
        }

        return Riff([.. chunks]);
    }

    /// <summary>The PNG's chunks in order.</summary>
    /// <summary>
    /// A little-endian TIFF of <paramref name="pages"/> pages of <paramref name="width"/> x
    /// <paramref name="height"/> 8-bit pixels (3 samples: RGB, 1: grey), each one Deflate strip of
    /// zeros: real pixels, a thousandth of their size. With <paramref name="stripCount"/> the first
    /// page instead declares that many strips, whose offsets lie beyond the end of the file; with
    /// <paramref name="stripOffset"/> its one strip lies there.
    /// </summary>
    public static byte[] Tiff(int width, int height, int pages = 1, int samples = 3, uint? stripCount = null, uint? stripOffset = null)
    {
        var strip = Zeros((long)width * height * samples);
        using var tiff = new MemoryStream();
        tiff.Write("II"u8);
        tiff.Write([42, 0, 0, 0, 0, 0]);
        var link = 4L;
        for (var page = 0; page < pages; page++)
        {
            var offset = (uint)tiff.Position;
            tiff.Write(strip);
            var bitsOffset = (uint)tiff.Position;
            for (var i = 0; i < samples; i++)
            {
                tiff.Write([8, 0]);
            }

            if (tiff.Position % 2 == 1)
            {
                tiff.WriteByte(0);
            }

            var ifd = (uint)tiff.Position;
            Patch(tiff, link, ifd);
            var strips = page == 0 && stripCount is { } count ? count : 1;
            var entries = new (ushort Tag, ushort Type, uint Count, uint Value)[]
            {
                (256, 4, 1, (uint)width), (257, 4, 1, (uint)height),
                (258, 3, (uint)samples, samples == 1 ? 8u : bitsOffset), (259, 3, 1, 8), (262, 3, 1, samples == 1 ? 1u : 2u),
                (273, 4, strips, strips > 1 ? 0x7FFF_0000 : page == 0 && stripOffset is { } past ? past : offset), (277, 3, 1, (uint)samples), (278, 4, 1, (uint)height),
                (279, 4, strips, strips == 1 ? (uint)strip.Length : 0x7FFF_8000), (284, 3, 1, 1),
            };
            var block = TiffIfd(entries);
            tiff.Write(block);
            link = tiff.Position - 4;
        }

        return tiff.ToArray();

        static void Patch(MemoryStream stream, long at, uint value)
        {
            var end = stream.Position;
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
            stream.Position = at;
            stream.Write(bytes);
            stream.Position = end;
        }
    }

    /// <summary>
    /// A little-endian RGB TIFF of <paramref name="width"/> x <paramref name="height"/> pixels in
    /// tiles its header says are <paramref name="tileSide"/> pixels square (a tile-size bomb: one
    /// tile of 65,536² is 12 GB of samples), holding one small Deflate tile of zeros.
    /// </summary>
    public static byte[] TiledTiff(int width, int height, uint tileSide)
    {
        var tile = Zeros(64 * 64 * 3);
        using var tiff = new MemoryStream();
        tiff.Write("II"u8);
        tiff.Write([42, 0, 0, 0, 0, 0]);
        tiff.Write(tile);
        var bitsOffset = (uint)tiff.Position;
        tiff.Write([8, 0, 8, 0, 8, 0, 0]);
        var ifd = (uint)tiff.Position;
        var across = (uint)((width + tileSide - 1) / tileSide) * (uint)((height + tileSide - 1) / tileSide);
        tiff.Write(TiffIfd(
            (256, 4, 1, (uint)width), (257, 4, 1, (uint)height), (258, 3, 3, bitsOffset), (259, 3, 1, 8), (262, 3, 1, 2),
            (277, 3, 1, 3), (284, 3, 1, 1), (322, 4, 1, tileSide), (323, 4, 1, tileSide), (324, 4, across, 8), (325, 4, across, (uint)tile.Length)));
        var bytes = tiff.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), ifd);
        return bytes;
    }

    /// <summary>
    /// A little-endian TIFF IFD: the entry count, the entries (a SHORT of count 1 held in the first
    /// two bytes of the value field, anything else as a LONG value or offset), and a zero link.
    /// </summary>
    public static byte[] TiffIfd(params (ushort Tag, ushort Type, uint Count, uint Value)[] entries)
    {
        var block = new byte[2 + (entries.Length * 12) + 4];
        BinaryPrimitives.WriteUInt16LittleEndian(block, (ushort)entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = block.AsSpan(2 + (i * 12));
            BinaryPrimitives.WriteUInt16LittleEndian(entry, entries[i].Tag);
            BinaryPrimitives.WriteUInt16LittleEndian(entry[2..], entries[i].Type);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], entries[i].Count);
            if (entries[i].Type == 3 && entries[i].Count == 1)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(entry[8..], (ushort)entries[i].Value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], entries[i].Value);
            }
        }

        return block;
    }

    public static IEnumerable<(string Type, byte[] Data)> Chunks(byte[] png)
    {
        for (var position = 8; position + 12 <= png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(position));
            yield return (Encoding.ASCII.GetString(png, position + 4, 4), png.AsSpan(position + 8, length).ToArray());
            position += 12 + length;
        }
    }

    private static byte[] LosslessStream(int width, int height, uint argb)
    {
        var w = new BitWriter(lsbFirst: true);
        LosslessHeader(w, width, height, alpha: true);
        w.Put(0, 1); // no transform
        w.Put(0, 1); // no colour cache
        w.Put(0, 1); // no meta prefix codes
        SingleSymbolCode(w, (int)(argb >> 8) & 0xFF);  // green
        SingleSymbolCode(w, (int)(argb >> 16) & 0xFF); // red
        SingleSymbolCode(w, (int)argb & 0xFF);         // blue
        SingleSymbolCode(w, (int)(argb >> 24));        // alpha
        SingleSymbolCode(w, 0);                        // distance
        return w.ToArray();
    }

    private static void LosslessHeader(BitWriter w, int width, int height, bool alpha)
    {
        w.Put(0x2F, 8);
        w.Put(width - 1, 14);
        w.Put(height - 1, 14);
        w.Put(alpha ? 1 : 0, 1);
        w.Put(0, 3);
    }

    /// <summary>A "simple" prefix code of one symbol: it takes no bits to read.</summary>
    private static void SingleSymbolCode(BitWriter w, int symbol)
    {
        w.Put(1, 1); // simple
        w.Put(0, 1); // one symbol
        if (symbol < 2)
        {
            w.Put(0, 1);
            w.Put(symbol, 1);
        }
        else
        {
            w.Put(1, 1);
            w.Put(symbol, 8);
        }
    }

    /// <summary>A normal prefix code giving symbols 0..255 eight bits each (code i is i).</summary>
    private static void FullByteCode(BitWriter w)
    {
        w.Put(0, 1);      // normal
        w.Put(12 - 4, 4); // 12 code-length code lengths, in the order 17 18 0 1 2 3 4 5 16 6 7 8
        for (var i = 0; i < 12; i++)
        {
            w.Put(i == 11 ? 1 : 0, 3); // only the length "8": a single-symbol code-length code
        }

        w.Put(1, 1);      // a maximum symbol count ...
        w.Put(3, 3);      // ... in 8 bits ...
        w.Put(254, 8);    // ... of 256
    }

    private static byte[] Riff(params (string Type, byte[] Data)[] chunks)
    {
        using var body = new MemoryStream();
        body.Write("WEBP"u8);
        foreach (var (type, data) in chunks)
        {
            WriteRiffChunk(body, type, data);
        }

        var riff = new byte[8 + body.Length];
        "RIFF"u8.CopyTo(riff);
        BinaryPrimitives.WriteUInt32LittleEndian(riff.AsSpan(4), (uint)body.Length);
        body.ToArray().CopyTo(riff, 8);
        return riff;
    }

    private static void WriteRiffChunk(Stream stream, string type, byte[] data)
    {
        stream.Write(Encoding.ASCII.GetBytes(type));
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)data.Length);
        stream.Write(length);
        stream.Write(data);
        if (data.Length % 2 == 1)
        {
            stream.WriteByte(0);
        }
    }

    private static void WriteUInt24(Span<byte> destination, int value)
    {
        destination[0] = (byte)value;
        destination[1] = (byte)(value >> 8);
        destination[2] = (byte)(value >> 16);
    }

    internal static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, header[4..]);
        png.Write(header);
        png.Write(data);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, TestImages.Crc32([.. header[4..], .. data]));
        png.Write(crc);
    }

    private static void WriteSegment(Stream jpeg, byte marker, byte[] data)
    {
        jpeg.Write([0xFF, marker, (byte)((data.Length + 2) >> 8), (byte)(data.Length + 2)]);
        jpeg.Write(data);
    }

    private static void WriteQuantisationTable(Stream jpeg) => WriteSegment(jpeg, 0xDB, [0, .. Enumerable.Repeat((byte)1, 64)]);

    /// <summary>A DHT segment: class and id in <paramref name="classAndId"/>, symbols by code length.</summary>
    private static void WriteHuffmanTable(Stream jpeg, byte classAndId, Dictionary<int, byte[]> symbolsByLength)
    {
        var counts = Enumerable.Range(1, 16).Select(l => (byte)(symbolsByLength.TryGetValue(l, out var s) ? s.Length : 0));
        var symbols = Enumerable.Range(1, 16).SelectMany(l => symbolsByLength.TryGetValue(l, out var s) ? s : []);
        WriteSegment(jpeg, 0xC4, [classAndId, .. counts, .. symbols]);
    }

    /// <summary>
    /// Bits into bytes: most significant first with JPEG's 0xFF00 stuffing and 1-bit padding, or
    /// least significant first (WebP lossless), where prefix codes still go most significant bit first.
    /// </summary>
    private sealed class BitWriter(bool lsbFirst = false)
    {
        private readonly List<byte> bytes = [];
        private int accumulator;
        private int count;

        public void Put(int value, int bits)
        {
            for (var i = 0; i < bits; i++)
            {
                Bit((value >> (lsbFirst ? i : bits - 1 - i)) & 1);
            }
        }

        public void PutCode(int code, int length)
        {
            for (var i = length - 1; i >= 0; i--)
            {
                Bit((code >> i) & 1);
            }
        }

        public byte[] ToArray()
        {
            while (count != 0)
            {
                Bit(lsbFirst ? 0 : 1);
            }

            return [.. bytes];
        }

        private void Bit(int bit)
        {
            accumulator = lsbFirst ? accumulator | (bit << count) : (accumulator << 1) | bit;
            if (++count < 8)
            {
                return;
            }

            bytes.Add((byte)accumulator);
            if (!lsbFirst && accumulator == 0xFF)
            {
                bytes.Add(0);
            }

            accumulator = 0;
            count = 0;
        }
    }

    /// <summary>A GIF of <paramref name="frames"/> frames of 1 x 1 pixel (15 bytes each): a frame count of the container's to be bounded.</summary>
    public static byte[] GifOfFrames(int frames)
    {
        using var gif = new MemoryStream();
        gif.Write("GIF89a"u8);
        gif.Write([1, 0, 1, 0, 0x80, 0, 0]);
        gif.Write([0, 0, 0, 255, 255, 255]);
        for (var i = 0; i < frames; i++)
        {
            gif.Write([0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0]);
            gif.Write(OnePixelLzw);
        }

        gif.WriteByte(0x3B);
        return gif.ToArray();
    }

    /// <summary>
    /// A GIF whose logical screen says <paramref name="screenWidth"/> x <paramref name="screenHeight"/> and
    /// whose only frame says <paramref name="frameWidth"/> x <paramref name="frameHeight"/>, with the data of one pixel.
    /// </summary>
    public static byte[] GifClaiming(int screenWidth, int screenHeight, int frameWidth, int frameHeight)
    {
        using var gif = new MemoryStream();
        gif.Write("GIF89a"u8);
        Span<byte> sizes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(sizes, (ushort)screenWidth);
        BinaryPrimitives.WriteUInt16LittleEndian(sizes[2..], (ushort)screenHeight);
        gif.Write(sizes);
        gif.Write([0x80, 0, 0, 0, 0, 0, 255, 255, 255, 0x2C, 0, 0, 0, 0]);
        BinaryPrimitives.WriteUInt16LittleEndian(sizes, (ushort)frameWidth);
        BinaryPrimitives.WriteUInt16LittleEndian(sizes[2..], (ushort)frameHeight);
        gif.Write(sizes);
        gif.WriteByte(0);
        gif.Write(OnePixelLzw);
        gif.WriteByte(0x3B);
        return gif.ToArray();
    }

    /// <summary>LZW of minimum code size 2 for one pixel of index 0: clear (4), 0, end (5) in 3-bit codes, one sub-block.</summary>
    private static ReadOnlySpan<byte> OnePixelLzw => [2, 2, 0x44, 0x01, 0];

    /// <summary>An ISO-BMFF file (HEIC, AVIF) whose every 'ispe' property claims <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static byte[] WithIspe(byte[] file, uint width, uint height)
    {
        var copy = (byte[])file.Clone();
        var found = 0;
        for (var at = copy.AsSpan().IndexOf("ispe"u8); at >= 0;)
        {
            BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(at + 8), width);
            BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(at + 12), height);
            found++;
            var next = copy.AsSpan(at + 4).IndexOf("ispe"u8);
            at = next < 0 ? -1 : at + 4 + next;
        }

        Assert.True(found > 0, "no ispe property");
        return copy;
    }

    /// <summary>
    /// A PNG made into another format by a Debian encoder (heif-enc, avifenc, vips): the bytes of
    /// <c>tool [arguments] in.png out.ext</c> (vips: <c>vips copy in.png out.ext</c>).
    /// </summary>
    public static async Task<byte[]> EncodedAsync(byte[] png, string extension, string tool, params string[] arguments)
    {
        var work = Directory.CreateTempSubdirectory("images-hostile-");
        try
        {
            var input = Path.Combine(work.FullName, "in.png");
            var output = Path.Combine(work.FullName, "out." + extension);
            await File.WriteAllBytesAsync(input, png);
            string[] command = tool switch
            {
                "heif-enc" => [.. arguments, input, "-o", output],
                "vips" => ["copy", input, output],
                _ => [.. arguments, input, output],
            };
            var run = await RepositoryFiles.RunAsync(tool, command, TimeSpan.FromMinutes(2));
            Assert.True(run.ExitCode == 0, $"{tool} {string.Join(' ', command)}: {run.Error}");
            return await File.ReadAllBytesAsync(output);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>An LZW bomb: a GIF of width x height pixels of one colour (vips's GIF writer packs 64 MP into about 44 KB).</summary>
    public static async Task<byte[]> GifBombAsync(int width, int height)
    {
        var work = Directory.CreateTempSubdirectory("images-hostile-");
        try
        {
            var black = Path.Combine(work.FullName, "black.v");
            var gif = Path.Combine(work.FullName, "bomb.gif");
            foreach (var arguments in new[] { new[] { "black", black, $"{width}", $"{height}" }, ["copy", black, gif] })
            {
                var run = await RepositoryFiles.RunAsync("vips", arguments, TimeSpan.FromMinutes(2));
                Assert.True(run.ExitCode == 0, $"vips {string.Join(' ', arguments)}: {run.Error}");
            }

            return await File.ReadAllBytesAsync(gif);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>The first half of a file (a truncated upload).</summary>
    public static byte[] HalfOf(byte[] file) => file[..(file.Length / 2)];
}
