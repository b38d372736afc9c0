using System.Buffers.Binary;

namespace Images.Infrastructure.Processing;

/// <summary>
/// What the managed path reads from containers itself, bounded and without trusting them (NFR-7,
/// NFR-8): how many frames or pages there are, and a view of the first one only, because ImageSharp
/// 2.1 would decode every page of a TIFF into memory and refuses animated WebP outright.
/// </summary>
internal static class Containers
{
    /// <summary>More IFDs or frames than this are not counted further (a loop or a bomb).</summary>
    public const int MaxCounted = 100_000;

    /// <summary>
    /// The pages of a TIFF, the first page's orientation tag (274; 1 when absent or out of range) and
    /// whether it has alpha (an ExtraSamples tag, 338), and a stream that shows only the first page:
    /// the first IFD's link to the next is read as zero (a loop or a chain of a thousand pages then
    /// costs nothing). ImageSharp 2.1 keeps a TIFF's orientation in the frame's metadata, where
    /// AutoOrient does not look (FR-2.1), and reports no alpha for an RGBA TIFF, which then would not
    /// be flattened on white (FR-8.2): both are read here. Null when the header does not parse;
    /// ImageSharp then reports what is wrong.
    /// </summary>
    public static (int Pages, int Orientation, bool Alpha, Stream FirstPage)? TiffFirstPage(Stream stream)
    {
        var start = stream.Position;
        try
        {
            Span<byte> header = stackalloc byte[16];
            if (stream.ReadAtLeast(header, 16, throwOnEndOfStream: false) < 8)
            {
                return null;
            }

            var little = header[0] == (byte)'I';
            var big = Read16(header[2..], little) == 43;
            long first = big ? (long)Read64(header[8..], little) : Read32(header[4..], little);
            var visited = new HashSet<long>();
            long linkAt = -1;
            var (orientation, alpha) = (1, false);
            var pages = 0;
            Span<byte> count = stackalloc byte[8];
            Span<byte> next = stackalloc byte[8];
            for (var ifd = first; ifd != 0 && pages < MaxCounted; pages++)
            {
                if (ifd < 8 || ifd >= stream.Length || !visited.Add(ifd))
                {
                    break; // Out of the file, or a loop: what is counted so far is all there is.
                }

                var entriesSize = big ? 8 : 2;
                var entrySize = big ? 20 : 12;
                var linkSize = big ? 8 : 4;
                stream.Position = ifd;
                if (stream.ReadAtLeast(count[..entriesSize], entriesSize, throwOnEndOfStream: false) < entriesSize)
                {
                    break;
                }

                var entries = big ? (long)Read64(count, little) : Read16(count, little);
                if (entries < 0 || entries > stream.Length / entrySize)
                {
                    break;
                }

                var link = ifd + entriesSize + (entries * entrySize);
                if (link + linkSize > stream.Length)
                {
                    break;
                }

                if (linkAt < 0)
                {
                    linkAt = link;
                    (orientation, alpha) = TiffTags(stream, ifd + entriesSize, entries, entrySize, little, big);
                }

                stream.Position = link;
                stream.ReadExactly(next[..linkSize]);
                ifd = big ? (long)Read64(next, little) : Read32(next, little);
            }

            if (linkAt < 0)
            {
                return null;
            }

            return (Math.Max(pages, 1), orientation, alpha, new PatchedStream(stream, start, linkAt, big ? 8 : 4));
        }
        finally
        {
            stream.Position = start;
        }
    }

    /// <summary>
    /// Among an IFD's entries: the orientation (tag 274, a SHORT or a LONG held in the entry, as
    /// libtiff reads it; 1 when absent or out of range), and whether an ExtraSamples tag (338) names
    /// a sample beyond the colour, which libimages_native and libvips take as alpha.
    /// </summary>
    private static (int Orientation, bool Alpha) TiffTags(Stream stream, long entriesAt, long entries, int entrySize, bool little, bool big)
    {
        var (orientation, alpha) = (1, false);
        Span<byte> entry = stackalloc byte[20];
        for (var i = 0L; i < entries; i++)
        {
            stream.Position = entriesAt + (i * entrySize);
            stream.ReadExactly(entry[..entrySize]);
            var (tag, type) = (Read16(entry, little), Read16(entry[2..], little));
            var count = big ? Read64(entry[4..], little) : Read32(entry[4..], little);
            if (tag == 274 && type is 3 or 4 && count == 1)
            {
                var value = type == 3 ? Read16(entry[(big ? 12 : 8)..], little) : Read32(entry[(big ? 12 : 8)..], little);
                orientation = value is >= 1 and <= 8 ? (int)value : 1;
            }
            else if (tag == 338 && count >= 1)
            {
                alpha = true;
            }
        }

        return (orientation, alpha);
    }

    /// <summary>
    /// The frames of a WebP (1 for a still one), and for an animation a still WebP made of its first
    /// frame's own chunks (ALPH + VP8, or VP8L) at the frame's size. Null when the RIFF does not parse.
    /// </summary>
    public static (int Frames, byte[]? FirstFrame)? WebpFrames(Stream stream)
    {
        var start = stream.Position;
        try
        {
            Span<byte> header = stackalloc byte[12];
            if (stream.ReadAtLeast(header, 12, throwOnEndOfStream: false) < 12)
            {
                return null;
            }

            var end = Math.Min(stream.Length, start + 8 + (long)BinaryPrimitives.ReadUInt32LittleEndian(header[4..]));
            var animated = false;
            var frames = 0;
            byte[]? first = null;
            Span<byte> chunk = stackalloc byte[8];
            for (var position = start + 12; position + 8 <= end && frames < MaxCounted;)
            {
                stream.Position = position;
                stream.ReadExactly(chunk);
                var size = BinaryPrimitives.ReadUInt32LittleEndian(chunk[4..]);
                if (size > end - position - 8)
                {
                    break;
                }

                var fourCc = chunk[..4];
                if (fourCc.SequenceEqual("VP8X"u8) && size >= 1)
                {
                    animated = (stream.ReadByte() & 0x02) != 0;
                }
                else if (fourCc.SequenceEqual("ANMF"u8))
                {
                    frames++;
                    if (first is null && size > 16)
                    {
                        first = new byte[size];
                        stream.ReadExactly(first);
                    }
                }

                position += 8 + size + (size & 1);
            }

            if (!animated || frames == 0)
            {
                return (1, null);
            }

            return (frames, first is null ? null : StillFromFrame(first));
        }
        catch (EndOfStreamException)
        {
            return null;
        }
        finally
        {
            stream.Position = start;
        }
    }

    /// <summary>
    /// What the chunks before a PNG's image data say: the acTL frame count of an animated PNG (1 for
    /// a still one; libpng and ImageSharp decode its default image), and the orientation in its eXIf
    /// chunk (1 when absent). ImageSharp reads no PNG metadata here (a zTXt chunk of a few hundred
    /// kilobytes can inflate to gigabytes), so the orientation is read from this walk instead.
    /// </summary>
    public static (int Frames, int Orientation) PngHeader(Stream stream)
    {
        var start = stream.Position;
        var (frames, orientation) = (1, 1);
        try
        {
            Span<byte> chunk = stackalloc byte[8];
            stream.Position = start + 8;
            for (var chunks = 0; chunks < 1000 && stream.ReadAtLeast(chunk, 8, throwOnEndOfStream: false) == 8; chunks++)
            {
                var length = BinaryPrimitives.ReadUInt32BigEndian(chunk);
                var type = chunk[4..8];
                if (type.SequenceEqual("IDAT"u8) || length > stream.Length - stream.Position)
                {
                    break; // acTL and eXIf come before the image data.
                }

                if (type.SequenceEqual("acTL"u8) && length >= 8 && stream.ReadAtLeast(chunk[..4], 4, throwOnEndOfStream: false) == 4)
                {
                    frames = (int)Math.Clamp(BinaryPrimitives.ReadUInt32BigEndian(chunk), 1, MaxCounted);
                    stream.Position += length - 4 + 4;
                    continue;
                }

                if (type.SequenceEqual("eXIf"u8) && length <= 1 << 20)
                {
                    var exif = new byte[length];
                    stream.ReadExactly(exif);
                    orientation = ExifOrientation(exif);
                    stream.Position += 4;
                    continue;
                }

                stream.Position += length + 4;
            }

            return (frames, orientation);
        }
        catch (EndOfStreamException)
        {
            return (frames, orientation);
        }
        finally
        {
            stream.Position = start;
        }
    }

    /// <summary>The orientation tag (0x0112) of IFD0 in a TIFF-structured EXIF block; 1 when absent or unreadable.</summary>
    public static int ExifOrientation(ReadOnlySpan<byte> exif)
    {
        if (exif.StartsWith("Exif\0\0"u8))
        {
            exif = exif[6..];
        }

        if (exif.Length < 8 || !(exif.StartsWith("II"u8) || exif.StartsWith("MM"u8)))
        {
            return 1;
        }

        var little = exif[0] == (byte)'I';
        var ifd = Read32(exif[4..], little);
        if (ifd < 8 || ifd > exif.Length - 2)
        {
            return 1;
        }

        var count = Read16(exif[(int)ifd..], little);
        for (var i = 0; i < count; i++)
        {
            var entry = (int)ifd + 2 + (i * 12);
            if (entry + 12 > exif.Length)
            {
                return 1;
            }

            if (Read16(exif[entry..], little) == 0x0112)
            {
                var value = Read16(exif[(entry + 8)..], little);
                return value is >= 1 and <= 8 ? value : 1;
            }
        }

        return 1;
    }

    /// <summary>
    /// Whether a WebP's RIFF header promises more bytes than the file has: ImageSharp would decode
    /// the missing rows as grey and call it a success.
    /// </summary>
    public static bool WebpTruncated(Stream stream)
    {
        var start = stream.Position;
        try
        {
            Span<byte> header = stackalloc byte[8];
            return stream.ReadAtLeast(header, 8, throwOnEndOfStream: false) < 8
                || 8L + BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) > stream.Length - start;
        }
        finally
        {
            stream.Position = start;
        }
    }

    private static byte[]? StillFromFrame(byte[] frame)
    {
        // ANMF payload: X, Y, width-1, height-1, duration (3 bytes each), flags (1), then the frame's chunks.
        var width = Read24(frame.AsSpan(6)) + 1;
        var height = Read24(frame.AsSpan(9)) + 1;
        var data = frame.AsSpan(16);
        var hasAlpha = data.Length >= 4 && data[..4].SequenceEqual("ALPH"u8);
        using var output = new MemoryStream(data.Length + 40);
        output.Write("RIFF\0\0\0\0WEBP"u8);
        if (hasAlpha)
        {
            // An ALPH chunk is only valid after a VP8X header that says so.
            Span<byte> vp8x = stackalloc byte[18];
            "VP8X"u8.CopyTo(vp8x);
            BinaryPrimitives.WriteUInt32LittleEndian(vp8x[4..], 10);
            vp8x[8] = 0x10;
            Write24(vp8x[12..], width - 1);
            Write24(vp8x[15..], height - 1);
            output.Write(vp8x);
        }

        output.Write(data);
        var bytes = output.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(bytes.Length - 8));
        return bytes;
    }

    private static int Read24(ReadOnlySpan<byte> p) => p[0] | (p[1] << 8) | (p[2] << 16);

    private static void Write24(Span<byte> p, int value)
    {
        p[0] = (byte)value;
        p[1] = (byte)(value >> 8);
        p[2] = (byte)(value >> 16);
    }

    private static ushort Read16(ReadOnlySpan<byte> p, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(p) : BinaryPrimitives.ReadUInt16BigEndian(p);

    private static uint Read32(ReadOnlySpan<byte> p, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(p) : BinaryPrimitives.ReadUInt32BigEndian(p);

    private static ulong Read64(ReadOnlySpan<byte> p, bool little) =>
        little ? BinaryPrimitives.ReadUInt64LittleEndian(p) : BinaryPrimitives.ReadUInt64BigEndian(p);

    /// <summary>A read-only view of a stream in which a few bytes at one offset read as zero.</summary>
    private sealed class PatchedStream(Stream inner, long origin, long zeroAt, int zeroCount) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => inner.Length - origin;

        public override long Position
        {
            get => _position;
            set => _position = value;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            inner.Position = origin + _position;
            var read = inner.Read(buffer);
            var from = Math.Max(zeroAt - origin, _position);
            var to = Math.Min(zeroAt - origin + zeroCount, _position + read);
            if (from < to)
            {
                buffer[(int)(from - _position)..(int)(to - _position)].Clear();
            }

            _position += read;
            return read;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => Length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>
    /// A GIF's frames (its image descriptors, counted by walking the blocks: every data sub-block
    /// skipped by its length, nothing decompressed, at most <see cref="MaxCounted"/>) and whether its
    /// first frame shows transparency (a transparent index in the graphic control extension before
    /// it, or a frame that does not cover the logical screen), as the native library reads them
    /// (FR-8.6, NFR-8). Null when the header does not parse; ImageSharp then reports what is wrong.
    /// </summary>
    public static (int Frames, bool Alpha)? GifFrames(Stream stream)
    {
        var start = stream.Position;
        try
        {
            var length = stream.Length - start;
            if (length < 13 || length > int.MaxValue)
            {
                return null;
            }

            var data = new byte[length];
            stream.ReadExactly(data);
            if (!data.AsSpan(0, 6).SequenceEqual("GIF87a"u8) && !data.AsSpan(0, 6).SequenceEqual("GIF89a"u8))
            {
                return null;
            }

            int screenWidth = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(6)), screenHeight = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(8));
            long at = 13;
            if ((data[10] & 0x80) != 0)
            {
                at += 3 * (2 << (data[10] & 7));
            }

            var (frames, alpha, transparent) = (0, false, false);
            while (at < data.Length && frames < MaxCounted)
            {
                var kind = data[at++];
                if (kind == 0x21 && at < data.Length)
                {
                    var label = data[at++];
                    if (label == 0xF9 && at + 5 <= data.Length && data[at] == 4)
                    {
                        transparent = (data[at + 1] & 1) != 0;
                    }

                    at = SkipSubBlocks(data, at);
                }
                else if (kind == 0x2C && at + 9 <= data.Length)
                {
                    if (frames == 0)
                    {
                        var (x, y) = (BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan((int)at)), BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan((int)at + 2)));
                        var (w, h) = (BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan((int)at + 4)), BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan((int)at + 6)));
                        alpha = transparent || x > 0 || y > 0 || w < screenWidth || h < screenHeight;
                    }

                    var packed = data[at + 8];
                    at += 9 + ((packed & 0x80) != 0 ? 3 * (2 << (packed & 7)) : 0) + 1;
                    frames++;
                    transparent = false;
                    at = SkipSubBlocks(data, at);
                }
                else
                {
                    break;
                }
            }

            return (Math.Max(frames, 1), alpha);
        }
        catch (IOException)
        {
            return null;
        }
        finally
        {
            stream.Position = start;
        }
    }

    private static long SkipSubBlocks(byte[] data, long at)
    {
        while (at < data.Length)
        {
            var n = data[at];
            at += 1 + n;
            if (n == 0)
            {
                break;
            }
        }

        return at;
    }
}
