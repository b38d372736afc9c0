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

    public static bool IsComplete(Stream stream)
    {
        var start = stream.Position;
        try
        {
            return ScanStart(stream) && HasEndOfImage(stream);
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

            // Before SOS, the byte after a segment must start a new marker.
            if (stream.ReadByte() != 0xFF)
            {
                return false;
            }
        }
    }

    private static bool HasEndOfImage(Stream stream)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize + 1);
        try
        {
            var carry = false;
            int read;
            while ((read = stream.Read(buffer, 0, BufferSize)) > 0)
            {
                var span = buffer.AsSpan(0, read);
                if (carry && span[0] == 0xD9)
                {
                    return true;
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
                    if (position + 1 < span.Length && span[position + 1] == 0xD9)
                    {
                        return true;
                    }

                    offset = position + 1;
                    if (offset >= span.Length)
                    {
                        break;
                    }
                }

                carry = span[^1] == 0xFF;
            }

            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
