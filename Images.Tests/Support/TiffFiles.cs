using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Images.Tests.Support;

/// <summary>
/// TIFFs of the kinds the native TIFF path meets (NFR-4), written byte by byte from an image,
/// uncompressed, in strips: grey (min-is-black or min-is-white, 1 to 32 bits), palette (4 or 8
/// bits), RGB and CMYK of 8 or 16 bits, YCbCr (subsampled or not), with alpha associated or not,
/// any orientation tag, samples interleaved or one plane per sample. <see cref="TiffcpAsync"/>
/// (libtiff-tools) then compresses, tiles or chains them into pages as libtiff's own writer does.
/// </summary>
public static class TiffFiles
{
    public enum Kind
    {
        Grey,
        WhiteIsZero,
        Palette,
        Rgb,
        Cmyk,
        YCbCr,
    }

    /// <param name="Kind">The photometric interpretation.</param>
    /// <param name="Bits">Bits a sample: 1, 2, 4, 8, 16 or 32 for grey; 4 or 8 for a palette; 8 or 16 for RGB and CMYK; 8 for YCbCr.</param>
    /// <param name="Alpha">An extra sample holding the image's alpha.</param>
    /// <param name="Associated">The colour premultiplied by that alpha (ExtraSamples 1) rather than not (2).</param>
    /// <param name="Orientation">Tag 274, written when not 1.</param>
    /// <param name="RowsPerStrip">Rows of each strip (a multiple of the vertical subsampling for YCbCr).</param>
    /// <param name="Planar">One plane per sample (PlanarConfiguration 2).</param>
    /// <param name="Subsampling">YCbCr: chroma subsampled 1 (4:4:4) or 2 (4:2:0) in each direction.</param>
    public sealed record Layout(Kind Kind, int Bits = 8, bool Alpha = false, bool Associated = false, ushort Orientation = 1,
        int RowsPerStrip = 16, bool Planar = false, int Subsampling = 1);

    /// <summary>The photo-like test content (<see cref="TestImages.Photo"/>), its alpha rising from 0 on the left to 255 on the right when the layout has alpha.</summary>
    public static byte[] Photo(int width, int height, Layout layout, int seed = 5)
    {
        using var image = TestImages.Photo(width, height, seed);
        if (layout.Alpha)
        {
            image.ProcessPixelRows(rows =>
            {
                for (var y = 0; y < rows.Height; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (var x = 0; x < row.Length; x++)
                    {
                        row[x].A = (byte)(x * 255 / Math.Max(1, row.Length - 1));
                    }
                }
            });
        }

        return Write(image, layout);
    }

    /// <summary>
    /// An RGB TIFF whose stored top-left quadrant is red and the rest blue, with the orientation tag:
    /// where the red quadrant lands in a thumbnail shows which way the orientation was applied
    /// (FR-2.1; <see cref="TestImages.RedQuadrant"/>), as <see cref="TestImages.JpegWithRedCorner"/> does with EXIF.
    /// </summary>
    public static byte[] RedCorner(int width, int height, ushort orientation)
    {
        using var image = new Image<Rgba32>(width, height);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    row[x] = x < width / 2 && y < height / 2 ? new Rgba32(255, 0, 0) : new Rgba32(0, 0, 255);
                }
            }
        });
        return Write(image, new Layout(Kind.Rgb, Orientation: orientation));
    }

    public static byte[] Write(Image<Rgba32> image, Layout layout)
    {
        var (width, height) = (image.Width, image.Height);
        var pixels = new Rgba32[width * height];
        image.CopyPixelDataTo(pixels);
        var colour = layout.Kind switch { Kind.Rgb or Kind.YCbCr => 3, Kind.Cmyk => 4, _ => 1 };
        var samples = colour + (layout.Alpha ? 1 : 0);

        var strips = new List<byte[]>();
        if (layout.Kind == Kind.YCbCr)
        {
            for (var top = 0; top < height; top += layout.RowsPerStrip)
            {
                strips.Add(YCbCrStrip(pixels, width, height, top, Math.Min(layout.RowsPerStrip, height - top), layout.Subsampling));
            }
        }
        else
        {
            var planes = layout.Planar ? samples : 1;
            for (var plane = 0; plane < planes; plane++)
            {
                for (var top = 0; top < height; top += layout.RowsPerStrip)
                {
                    var strip = new MemoryStream();
                    for (var y = top; y < Math.Min(height, top + layout.RowsPerStrip); y++)
                    {
                        var row = new List<ulong>();
                        for (var x = 0; x < width; x++)
                        {
                            var values = Samples(pixels[(y * width) + x], layout);
                            row.AddRange(layout.Planar ? [values[plane]] : values);
                        }

                        strip.Write(Pack(row, layout.Bits));
                    }

                    strips.Add(strip.ToArray());
                }
            }
        }

        var entries = new List<Entry>
        {
            Longs(256, (uint)width),
            Longs(257, (uint)height),
            Shorts(258, [.. Enumerable.Repeat(layout.Bits, samples)]),
            Shorts(259, 1),
            Shorts(262, layout.Kind switch { Kind.WhiteIsZero => 0, Kind.Grey => 1, Kind.Rgb => 2, Kind.Palette => 3, Kind.Cmyk => 5, _ => 6 }),
            Longs(273, new uint[strips.Count]), // offsets, filled in below
        };
        if (layout.Orientation != 1)
        {
            entries.Add(Shorts(274, layout.Orientation));
        }

        entries.Add(Shorts(277, samples));
        entries.Add(Longs(278, (uint)layout.RowsPerStrip));
        entries.Add(Longs(279, [.. strips.Select(s => (uint)s.Length)]));
        entries.Add(Shorts(284, layout.Planar ? 2 : 1));
        if (layout.Kind == Kind.Palette)
        {
            var count = 1 << layout.Bits;
            entries.Add(Shorts(320, [.. Enumerable.Range(0, 3).SelectMany(c => Enumerable.Range(0, count).Select(i => PaletteColour(i, layout.Bits)[c] * 257))]));
        }

        if (layout.Kind == Kind.Cmyk)
        {
            entries.Add(Shorts(332, 1));
        }

        if (layout.Alpha)
        {
            entries.Add(Shorts(338, layout.Associated ? 1 : 2));
        }

        if (layout.Kind == Kind.YCbCr)
        {
            entries.Add(Shorts(530, layout.Subsampling, layout.Subsampling));
            entries.Add(new Entry(532, 5, 6, [.. new uint[] { 0, 1, 255, 1, 128, 1, 255, 1, 128, 1, 255, 1 }.SelectMany(Le32)]));
        }

        return Assemble(entries, strips);
    }

    /// <summary>
    /// A YCbCr TIFF of one strip that is the whole JPEG stream <paramref name="jpeg"/> (4:2:0, as
    /// cjpeg writes it by default): JPEG-in-TIFF without a JPEGTables tag.
    /// </summary>
    public static byte[] JpegStrip(byte[] jpeg, int width, int height) => Assemble(
    [
        Longs(256, (uint)width), Longs(257, (uint)height), Shorts(258, 8, 8, 8), Shorts(259, 7), Shorts(262, 6),
        Longs(273, 0), Shorts(277, 3), Longs(278, (uint)height), Longs(279, (uint)jpeg.Length), Shorts(284, 1), Shorts(530, 2, 2),
    ], [jpeg]);

    /// <summary>
    /// tiffcp (libtiff-tools) over the inputs (several make one page each), with its options: `-c lzw`,
    /// `-c zip`, `-c packbits`, `-c jpeg` (YCbCr), `-c jpeg:r` (RGB kept), `-c g4`, `-t -w 64 -l 64`
    /// (tiles), `-p separate`, `-r 1` (a row a strip)...
    /// </summary>
    public static async Task<byte[]> TiffcpAsync(byte[][] inputs, params string[] options)
    {
        var tiffcp = RepositoryFiles.FindOnPath("tiffcp")
            ?? throw new InvalidOperationException("tiffcp is needed to write compressed and tiled TIFFs: apt-get install libtiff-tools");
        var work = Directory.CreateTempSubdirectory("images-tiff-");
        try
        {
            var files = new List<string>();
            for (var i = 0; i < inputs.Length; i++)
            {
                files.Add(Path.Combine(work.FullName, $"in{i}.tif"));
                await File.WriteAllBytesAsync(files[^1], inputs[i]);
            }

            var output = Path.Combine(work.FullName, "out.tif");
            var run = await RepositoryFiles.RunAsync(tiffcp, [.. options, .. files, output], TimeSpan.FromSeconds(30));
            Assert.True(run.ExitCode == 0, $"tiffcp {string.Join(' ', options)}: {run.Error}");
            return await File.ReadAllBytesAsync(output);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <inheritdoc cref="TiffcpAsync(byte[][], string[])"/>
    public static Task<byte[]> TiffcpAsync(byte[] input, params string[] options) => TiffcpAsync([input], options);

    /// <summary>The colour of palette index <paramref name="index"/>: 3-3-2 bits of R, G, B for 8 bits, 1-2-1 for 4.</summary>
    public static int[] PaletteColour(int index, int bits) => bits == 8
        ? [((index >> 5) & 7) * 255 / 7, ((index >> 2) & 7) * 255 / 7, (index & 3) * 255 / 3]
        : [((index >> 3) & 1) * 255, ((index >> 1) & 3) * 85, (index & 1) * 255];

    private static ulong[] Samples(Rgba32 p, Layout layout)
    {
        int Premultiplied(int v) => layout.Associated ? ((v * p.A) + 127) / 255 : v;
        var grey = ((299 * p.R) + (587 * p.G) + (114 * p.B) + 500) / 1000;
        int[] colour = layout.Kind switch
        {
            Kind.Grey => [Premultiplied(grey)],
            Kind.WhiteIsZero => [255 - Premultiplied(grey)],
            Kind.Palette => [layout.Bits == 8 ? ((p.R >> 5) << 5) | ((p.G >> 5) << 2) | (p.B >> 6) : ((p.R >> 7) << 3) | ((p.G >> 6) << 1) | (p.B >> 7)],
            Kind.Rgb => [Premultiplied(p.R), Premultiplied(p.G), Premultiplied(p.B)],
            _ => [255 - p.R, 255 - p.G, 255 - p.B, 0],
        };
        var values = layout.Kind == Kind.Palette ? colour.Select(v => (ulong)v).ToList() : colour.Select(v => Scale(v, layout.Bits)).ToList();
        if (layout.Alpha)
        {
            values.Add(Scale(p.A, layout.Bits));
        }

        return [.. values];
    }

    private static ulong Scale(int value, int bits) => bits switch
    {
        8 => (ulong)value,
        16 => (ulong)value * 257,
        32 => (ulong)value * 16843009,
        _ => (ulong)value >> (8 - bits),
    };

    /// <summary>Samples of <paramref name="bits"/> each, the first in the high bits, the row padded to a byte; 16 and 32 bits little-endian.</summary>
    private static byte[] Pack(List<ulong> row, int bits)
    {
        if (bits >= 8)
        {
            var bytes = new byte[row.Count * (bits / 8)];
            for (var i = 0; i < row.Count; i++)
            {
                for (var b = 0; b < bits / 8; b++)
                {
                    bytes[(i * (bits / 8)) + b] = (byte)(row[i] >> (8 * b));
                }
            }

            return bytes;
        }

        var packed = new byte[((row.Count * bits) + 7) / 8];
        for (var i = 0; i < row.Count; i++)
        {
            var bit = i * bits;
            packed[bit / 8] |= (byte)(row[i] << (8 - bits - (bit % 8)));
        }

        return packed;
    }

    /// <summary>YCbCr data units (full-range BT.601, as ReferenceBlackWhite 0 255 128 255 128 255 says): each block of s x s pixels gives its s² luma samples, then Cb and Cr averaged over it.</summary>
    private static byte[] YCbCrStrip(Rgba32[] pixels, int width, int height, int top, int rows, int s)
    {
        var strip = new MemoryStream();
        for (var by = top; by < top + rows; by += s)
        {
            for (var bx = 0; bx < width; bx += s)
            {
                double cb = 0, cr = 0;
                for (var dy = 0; dy < s; dy++)
                {
                    for (var dx = 0; dx < s; dx++)
                    {
                        var p = pixels[(Math.Min(by + dy, height - 1) * width) + Math.Min(bx + dx, width - 1)];
                        strip.WriteByte(Byte((0.299 * p.R) + (0.587 * p.G) + (0.114 * p.B)));
                        cb += (-0.168736 * p.R) - (0.331264 * p.G) + (0.5 * p.B) + 128;
                        cr += (0.5 * p.R) - (0.418688 * p.G) - (0.081312 * p.B) + 128;
                    }
                }

                strip.WriteByte(Byte(cb / (s * s)));
                strip.WriteByte(Byte(cr / (s * s)));
            }
        }

        return strip.ToArray();

        static byte Byte(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);
    }

    private sealed record Entry(ushort Tag, ushort Type, uint Count, byte[] Value);

    private static Entry Shorts(ushort tag, params int[] values) => new(tag, 3, (uint)values.Length, [.. values.SelectMany(v => Le16((ushort)v))]);

    private static Entry Longs(ushort tag, params uint[] values) => new(tag, 4, (uint)values.Length, [.. values.SelectMany(Le32)]);

    private static byte[] Le16(ushort v)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        return b;
    }

    private static byte[] Le32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }

    /// <summary>Header, the strips, IFD0 (entries in tag order), then the values too long for an entry.</summary>
    private static byte[] Assemble(List<Entry> entries, List<byte[]> strips)
    {
        var file = new MemoryStream();
        file.Write("II"u8);
        file.Write([42, 0, 0, 0, 0, 0]);
        var offsets = new List<uint>();
        foreach (var strip in strips)
        {
            offsets.Add((uint)file.Position);
            file.Write(strip);
        }

        if (file.Position % 2 == 1)
        {
            file.WriteByte(0);
        }

        entries[entries.FindIndex(e => e.Tag == 273)] = Longs(273, [.. offsets]);
        entries.Sort((a, b) => a.Tag.CompareTo(b.Tag));
        var ifd = (uint)file.Position;
        var values = ifd + 2 + (12 * (uint)entries.Count) + 4;
        var block = new MemoryStream();
        var tail = new MemoryStream();
        block.Write(Le16((ushort)entries.Count));
        foreach (var entry in entries)
        {
            block.Write(Le16(entry.Tag));
            block.Write(Le16(entry.Type));
            block.Write(Le32(entry.Count));
            if (entry.Value.Length <= 4)
            {
                block.Write([.. entry.Value, .. new byte[4 - entry.Value.Length]]);
            }
            else
            {
                block.Write(Le32(values + (uint)tail.Position));
                tail.Write(entry.Value);
                if (tail.Position % 2 == 1)
                {
                    tail.WriteByte(0);
                }
            }
        }

        block.Write(Le32(0));
        file.Write(block.ToArray());
        file.Write(tail.ToArray());
        var bytes = file.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), ifd);
        return bytes;
    }
}
