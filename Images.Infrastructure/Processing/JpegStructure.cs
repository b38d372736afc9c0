using System.Buffers;

namespace Images.Infrastructure.Processing;

/// <summary>
/// ImageSharp decodes a truncated JPEG without complaint (the missing rows come out grey), so the
/// managed path checks the structure itself: the marker segments lead to a start-of-scan, and an
/// end-of-image marker follows it. Inside entropy-coded data a 0xFF byte is always followed by 0x00
/// or a restart marker, so an FF D9 after the first SOS is the real end of the image.
/// </summary>
internal static class JpegStructure
{
    private const int BufferSize = 64 * 1024;

    /// <summary>
    /// Whether the marker segments lead to a scan and an end-of-image marker follows, and how many
    /// scans the file holds: a progressive JPEG of tens of thousands of tiny scans makes a decoder
    /// walk the whole image once per scan (NFR-8), so the count is checked before decoding.
    /// </summary>
    public static (bool Complete, int Scans) Inspect(Stream stream)
    {
        var start = stream.Position;
        try
        {
            if (!ScanStart(stream))
            {
                return (false, 0);
            }

            var (complete, scans) = FollowScans(stream);
            return (complete, scans + 1);
        }
        finally
        {
            stream.Position = start;
        }
    }

    /// <summary>Walks SOI and the length-prefixed segments up to the first SOS.</summary>
    private static bool ScanStart(Stream stream)
    {
        Span<byte> two = stackalloc byte[2];
        if (stream.ReadAtLeast(two, 2, throwOnEndOfStream: false) < 2 || two[0] != 0xFF || two[1] != 0xD8)
        {
            return false;
        }

        while (true)
        {
            // Markers may be preceded by any number of 0xFF fill bytes.
            int marker;
            do
            {
                marker = stream.ReadByte();
            }
            while (marker == 0xFF);

            if (marker < 0)
            {
                return false;
            }

            if (marker is 0x01 or >= 0xD0 and <= 0xD7)
            {
                continue;
            }

            if (stream.ReadAtLeast(two, 2, throwOnEndOfStream: false) < 2)
            {
                return false;
            }

            var length = (two[0] << 8) | two[1];
            if (length < 2 || stream.Position + length - 2 > stream.Length)
            {
                return false;
            }

            stream.Position += length - 2;
            if (marker == 0xDA)
            {
                return true;
            }

            // Camera files sometimes leave a few stray bytes between segments; decoders skip them to
            // the next marker (libjpeg warns "extraneous bytes before marker"), and so does this.
            int next;
            while ((next = stream.ReadByte()) is >= 0 and not 0xFF)
            {
            }

            if (next < 0)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Reads the entropy-coded data to the end of the image: inside it a 0xFF byte is followed by
    /// 0x00, a fill byte or a restart marker, so FF DA starts another scan and FF D9 ends the image.
    /// </summary>
    private static (bool Complete, int MoreScans) FollowScans(Stream stream)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var scans = 0;
            var carry = false;
            int read;
            while ((read = stream.Read(buffer, 0, BufferSize)) > 0)
            {
                var span = buffer.AsSpan(0, read);
                if (carry)
                {
                    if (span[0] == 0xD9)
                    {
                        return (true, scans);
                    }

                    if (span[0] == 0xDA)
                    {
                        scans++;
                    }
                }

                var offset = 0;
                while (true)
                {
                    var index = span[offset..].IndexOf((byte)0xFF);
                    if (index < 0)
                    {
                        break;
                    }

                    var position = offset + index;
                    if (position + 1 < span.Length)
                    {
                        if (span[position + 1] == 0xD9)
                        {
                            return (true, scans);
                        }

                        if (span[position + 1] == 0xDA)
                        {
                            scans++;
                        }
                    }

                    offset = position + 1;
                    if (offset >= span.Length)
                    {
                        break;
                    }
                }

                carry = span[^1] == 0xFF;
            }

            return (false, scans);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
