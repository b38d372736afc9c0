using System.Buffers.Binary;

namespace Images.Infrastructure.Processing;

/// <summary>
/// How many groups of Huffman codes a lossless WebP (VP8L) stream uses, for the managed path's
/// budget (NFR-8). ImageSharp, like libwebp, builds lookup tables for every group (a few thousand
/// 8-byte entries each), and a stream may name 65,536 groups: over a gigabyte from a file of a few
/// hundred kilobytes. The count is in the entropy image, itself entropy-coded, so it is decoded here
/// (the transforms' sub-images before it are only skipped: their symbols read, their pixels not
/// kept); the pixel data after the header is never read. This follows the native library's
/// scanner (Images.Native/src/webp_vp8l.c), which follows libwebp 1.2.4's vp8l_dec.c.
/// </summary>
internal static class WebpLossless
{
    private const int LiteralCodes = 256;
    private const int LengthCodes = 24;
    private const int DistanceCodes = 40;
    private const int MaxCacheBits = 11;
    private const int MaxAlphabet = LiteralCodes + LengthCodes + (1 << MaxCacheBits);
    private const int MaxCodeLength = 15;
    private const int CodeToPlaneCodes = 120;
    private const int FixedTableSize = (630 * 3) + 410;

    private static readonly byte[] CodeLengthCodeOrder = [17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    private static readonly byte[] CodeLengthExtraBits = [2, 3, 7];
    private static readonly byte[] CodeLengthRepeatOffsets = [3, 3, 11];
    private static readonly int[] AlphabetSize = [LiteralCodes + LengthCodes, LiteralCodes, LiteralCodes, LiteralCodes, DistanceCodes];
    private static readonly byte[] CodeToPlane =
    [
        0x18, 0x07, 0x17, 0x19, 0x28, 0x06, 0x27, 0x29, 0x16, 0x1a, 0x26, 0x2a, 0x38, 0x05, 0x37, 0x39, 0x15, 0x1b, 0x36, 0x3a,
        0x25, 0x2b, 0x48, 0x04, 0x47, 0x49, 0x14, 0x1c, 0x35, 0x3b, 0x46, 0x4a, 0x24, 0x2c, 0x58, 0x45, 0x4b, 0x34, 0x3c, 0x03,
        0x57, 0x59, 0x13, 0x1d, 0x56, 0x5a, 0x23, 0x2d, 0x44, 0x4c, 0x55, 0x5b, 0x33, 0x3d, 0x68, 0x02, 0x67, 0x69, 0x12, 0x1e,
        0x66, 0x6a, 0x22, 0x2e, 0x54, 0x5c, 0x43, 0x4d, 0x65, 0x6b, 0x32, 0x3e, 0x78, 0x01, 0x77, 0x79, 0x53, 0x5d, 0x11, 0x1f,
        0x64, 0x6c, 0x42, 0x4e, 0x76, 0x7a, 0x21, 0x2f, 0x75, 0x7b, 0x31, 0x3f, 0x63, 0x6d, 0x52, 0x5e, 0x00, 0x74, 0x7c, 0x41,
        0x4f, 0x10, 0x20, 0x62, 0x6e, 0x30, 0x73, 0x7d, 0x51, 0x5f, 0x40, 0x72, 0x7e, 0x61, 0x6f, 0x50, 0x71, 0x7f, 0x60, 0x70,
    ];

    /// <summary>Lookup-table entries per group, by colour-cache bits (vp8l_dec.c kTableSize; ImageSharp uses the same).</summary>
    private static readonly int[] TableSize =
    [
        FixedTableSize + 654, FixedTableSize + 656, FixedTableSize + 658, FixedTableSize + 662, FixedTableSize + 670, FixedTableSize + 686,
        FixedTableSize + 718, FixedTableSize + 782, FixedTableSize + 912, FixedTableSize + 1168, FixedTableSize + 1680, FixedTableSize + 2704,
    ];

    /// <summary>
    /// The bytes of Huffman tables a decoder of the WebP in <paramref name="stream"/> builds: zero for
    /// a lossy one, and null when the lossless header cannot be read (the decoder then says why).
    /// </summary>
    public static long? TableBytes(Stream stream, CancellationToken cancellationToken)
    {
        var start = stream.Position;
        try
        {
            var chunk = FindChunk(stream, "VP8L"u8);
            if (chunk is null)
            {
                return 0;
            }

            var header = Scan(chunk, cancellationToken);
            // An ImageSharp HuffmanCode is 8 bytes; each group also holds a few arrays and objects.
            return header is { } h ? h.Groups * ((8L * TableSize[h.CacheBits]) + 1024) : null;
        }
        finally
        {
            stream.Position = start;
        }
    }

    private static byte[]? FindChunk(Stream stream, ReadOnlySpan<byte> fourCc)
    {
        Span<byte> header = stackalloc byte[8];
        stream.Position += 12;
        while (stream.ReadAtLeast(header, 8, throwOnEndOfStream: false) == 8)
        {
            var size = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            if (size > stream.Length - stream.Position)
            {
                return null;
            }

            if (header[..4].SequenceEqual(fourCc))
            {
                var data = new byte[size];
                stream.ReadExactly(data);
                return data;
            }

            if (header[..4].SequenceEqual("VP8 "u8))
            {
                return null; // Lossy: its tables are fixed.
            }

            stream.Position += size + (size & 1);
        }

        return null;
    }

    private static (long Groups, int CacheBits)? Scan(byte[] data, CancellationToken cancellationToken)
    {
        var s = new Scanner(data, cancellationToken);
        if (s.Bits.Read(8) != 0x2f)
        {
            return null;
        }

        var xsize = (int)s.Bits.Read(14) + 1;
        var height = (int)s.Bits.Read(14) + 1;
        if (s.Bits.Read(4) >> 1 != 0)
        {
            return null; // Alpha hint, then a version that must be 0.
        }

        var seen = 0;
        while (s.Bits.Read(1) != 0)
        {
            var type = (int)s.Bits.Read(2);
            if ((seen & (1 << type)) != 0)
            {
                return null;
            }

            seen |= 1 << type;
            if (type is 0 or 1)
            {
                var bits = (int)s.Bits.Read(3) + 2;
                if (!s.SubImage(Subsample(xsize, bits), Subsample(height, bits), null))
                {
                    return null;
                }
            }
            else if (type == 3)
            {
                var colours = (int)s.Bits.Read(8) + 1;
                var bits = colours > 16 ? 0 : colours > 4 ? 1 : colours > 2 ? 2 : 3;
                if (!s.SubImage(colours, 1, null))
                {
                    return null;
                }

                xsize = Subsample(xsize, bits);
            }

            if (s.Bits.Eos)
            {
                return null;
            }
        }

        var cacheBits = 0;
        if (s.Bits.Read(1) != 0)
        {
            cacheBits = (int)s.Bits.Read(4);
            if (cacheBits is < 1 or > MaxCacheBits)
            {
                return null;
            }
        }

        long groups = 1;
        if (s.Bits.Read(1) != 0)
        {
            var bits = (int)s.Bits.Read(3) + 2;
            int ex = Subsample(xsize, bits), ey = Subsample(height, bits);
            var entropy = new uint[(long)ex * ey];
            if (!s.SubImage(ex, ey, entropy))
            {
                return null;
            }

            groups = entropy.Max(pixel => (pixel >> 8) & 0xffff) + 1L;
        }

        return s.Bits.Eos ? null : (groups, cacheBits);
    }

    private static int Subsample(int size, int bits) => (size + (1 << bits) - 1) >> bits;

    /// <summary>LSB-first bits; reading past the end yields zeros and marks the end (libwebp's rule).</summary>
    private sealed class BitReader(byte[] data)
    {
        private ulong _value;
        private int _count;
        private int _position;
        private ulong _consumed;

        public bool Eos { get; private set; }

        public uint Read(int n)
        {
            while (_count < n)
            {
                ulong next = _position < data.Length ? data[_position] : 0u;
                _position++;
                _value |= next << _count;
                _count += 8;
            }

            var v = (uint)(_value & ((1ul << n) - 1));
            _value >>= n;
            _count -= n;
            _consumed += (ulong)n;
            if (_consumed > (ulong)Math.Max(data.Length, 8) * 8)
            {
                Eos = true;
            }

            return v;
        }
    }

    /// <summary>A canonical prefix code decoded a bit at a time; a single-symbol code takes no bits.</summary>
    private sealed class Code
    {
        private readonly ushort[] _count = new ushort[MaxCodeLength + 1];
        private readonly ushort[] _symbols = new ushort[MaxAlphabet];
        private bool _single;
        private int _symbol;

        /// <summary>libwebp's rules: at least one symbol; one is a 0-bit code; more form a complete code.</summary>
        public bool Build(ReadOnlySpan<byte> lengths)
        {
            Array.Clear(_count);
            int used = 0, last = 0;
            for (var s = 0; s < lengths.Length; s++)
            {
                _count[lengths[s]]++;
                if (lengths[s] != 0)
                {
                    used++;
                    last = s;
                }
            }

            if (used == 0)
            {
                return false;
            }

            _single = used == 1;
            _symbol = last;
            if (_single)
            {
                return true;
            }

            var left = 1;
            for (var len = 1; len <= MaxCodeLength; len++)
            {
                left = (left << 1) - _count[len];
                if (left < 0)
                {
                    return false;
                }
            }

            if (left != 0)
            {
                return false;
            }

            Span<ushort> offsets = stackalloc ushort[MaxCodeLength + 2];
            for (var len = 1; len <= MaxCodeLength; len++)
            {
                offsets[len + 1] = (ushort)(offsets[len] + _count[len]);
            }

            for (var s = 0; s < lengths.Length; s++)
            {
                if (lengths[s] != 0)
                {
                    _symbols[offsets[lengths[s]]++] = (ushort)s;
                }
            }

            return true;
        }

        public int Decode(BitReader bits)
        {
            if (_single)
            {
                return _symbol;
            }

            int value = 0, first = 0, index = 0;
            for (var len = 1; len <= MaxCodeLength; len++)
            {
                value |= (int)bits.Read(1);
                int count = _count[len];
                if (value - count < first)
                {
                    return _symbols[index + (value - first)];
                }

                index += count;
                first = (first + count) << 1;
                value <<= 1;
            }

            return -1;
        }
    }

    private sealed class Scanner(byte[] data, CancellationToken cancellationToken)
    {
        private readonly byte[] _lengths = new byte[MaxAlphabet];
        private readonly Code[] _codes = [new(), new(), new(), new(), new()];
        private readonly Code _lengthCode = new();

        public BitReader Bits { get; } = new(data);

        /// <summary>A sub-image (no transforms, one group of codes); its pixels are kept in <paramref name="output"/> when given.</summary>
        public bool SubImage(int xsize, int ysize, uint[]? output)
        {
            var cacheBits = 0;
            if (Bits.Read(1) != 0)
            {
                cacheBits = (int)Bits.Read(4);
                if (cacheBits is < 1 or > MaxCacheBits)
                {
                    return false;
                }
            }

            for (var j = 0; j < 5; j++)
            {
                if (!ReadCode(AlphabetSize[j] + (j == 0 && cacheBits > 0 ? 1 << cacheBits : 0), _codes[j]))
                {
                    return false;
                }
            }

            var cache = new uint[1 << MaxCacheBits];
            var total = (long)xsize * ysize;
            long position = 0, cached = 0;
            while (position < total)
            {
                if ((position & 0xFFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                var green = _codes[0].Decode(Bits);
                if (green < 0)
                {
                    return false;
                }

                if (green < LiteralCodes)
                {
                    int red = _codes[1].Decode(Bits), blue = _codes[2].Decode(Bits), alpha = _codes[3].Decode(Bits);
                    if (red < 0 || blue < 0 || alpha < 0 || Bits.Eos)
                    {
                        return false;
                    }

                    if (output is not null)
                    {
                        output[position] = ((uint)alpha << 24) | ((uint)red << 16) | ((uint)green << 8) | (uint)blue;
                    }

                    position++;
                }
                else if (green < LiteralCodes + LengthCodes)
                {
                    var length = CopyDistance(green - LiteralCodes);
                    var distanceSymbol = _codes[4].Decode(Bits);
                    if (distanceSymbol < 0)
                    {
                        return false;
                    }

                    var distance = PlaneDistance(xsize, CopyDistance(distanceSymbol));
                    if (Bits.Eos || position < distance || total - position < length)
                    {
                        return false;
                    }

                    if (output is not null)
                    {
                        for (var i = 0; i < length; i++)
                        {
                            output[position + i] = output[position + i - distance];
                        }
                    }

                    position += length;
                }
                else
                {
                    // Colour cache: the pixels so far are inserted first, then one is looked up.
                    var key = green - LiteralCodes - LengthCodes;
                    if (cacheBits == 0 || key >= 1 << cacheBits)
                    {
                        return false;
                    }

                    if (output is not null)
                    {
                        for (; cached < position; cached++)
                        {
                            cache[(0x1e35a7bdu * output[cached]) >> (32 - cacheBits)] = output[cached];
                        }

                        output[position] = cache[key];
                    }

                    position++;
                }

                if (Bits.Eos)
                {
                    return false;
                }
            }

            return true;
        }

        private bool ReadCode(int alphabet, Code code)
        {
            Array.Clear(_lengths, 0, Math.Max(alphabet, 256));
            if (Bits.Read(1) != 0)
            {
                // A simple code: one or two symbols.
                var two = Bits.Read(1) != 0;
                var first = (int)Bits.Read(Bits.Read(1) != 0 ? 8 : 1);
                _lengths[first] = 1;
                if (two)
                {
                    _lengths[Bits.Read(8)] = 1;
                }
            }
            else
            {
                Span<byte> lengthCodeLengths = stackalloc byte[19];
                var codes = (int)Bits.Read(4) + 4;
                if (codes > 19)
                {
                    return false;
                }

                for (var i = 0; i < codes; i++)
                {
                    lengthCodeLengths[CodeLengthCodeOrder[i]] = (byte)Bits.Read(3);
                }

                if (!ReadCodeLengths(lengthCodeLengths, alphabet))
                {
                    return false;
                }
            }

            return !Bits.Eos && code.Build(_lengths.AsSpan(0, alphabet));
        }

        private bool ReadCodeLengths(ReadOnlySpan<byte> lengthCodeLengths, int alphabet)
        {
            if (!_lengthCode.Build(lengthCodeLengths))
            {
                return false;
            }

            int maxSymbol = alphabet, previous = 8, symbol = 0;
            if (Bits.Read(1) != 0)
            {
                var nbits = 2 + (2 * (int)Bits.Read(3));
                maxSymbol = 2 + (int)Bits.Read(nbits);
                if (maxSymbol > alphabet)
                {
                    return false;
                }
            }

            while (symbol < alphabet)
            {
                if (maxSymbol-- == 0)
                {
                    break;
                }

                var length = _lengthCode.Decode(Bits);
                if (length < 0 || Bits.Eos)
                {
                    return false;
                }

                if (length < 16)
                {
                    _lengths[symbol++] = (byte)length;
                    if (length != 0)
                    {
                        previous = length;
                    }
                }
                else
                {
                    var slot = length - 16;
                    var repeat = (int)Bits.Read(CodeLengthExtraBits[slot]) + CodeLengthRepeatOffsets[slot];
                    if (symbol + repeat > alphabet)
                    {
                        return false;
                    }

                    var value = (byte)(length == 16 ? previous : 0);
                    while (repeat-- > 0)
                    {
                        _lengths[symbol++] = value;
                    }
                }
            }

            return true;
        }

        private int CopyDistance(int symbol)
        {
            if (symbol < 4)
            {
                return symbol + 1;
            }

            var extra = (symbol - 2) >> 1;
            var offset = (2 + (symbol & 1)) << extra;
            return offset + (int)Bits.Read(extra) + 1;
        }

        private static long PlaneDistance(long xsize, int code)
        {
            if (code > CodeToPlaneCodes)
            {
                return code - CodeToPlaneCodes;
            }

            int d = CodeToPlane[code - 1];
            var distance = ((d >> 4) * xsize) + (8 - (d & 0xf));
            return distance >= 1 ? distance : 1;
        }
    }
}
