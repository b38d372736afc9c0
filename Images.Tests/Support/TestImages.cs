using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace Images.Tests.Support;

/// <summary>
/// Real image files of each accepted format, encoded by ImageSharp's encoders from photo-like
/// content (smooth gradients plus deterministic noise), and the hostile inputs of NFR-7.
/// </summary>
public static class TestImages
{
    public static byte[] Jpeg(int width = 640, int height = 480, ushort? orientation = null, int seed = 1) =>
        Encode(Photo(width, height, seed), image =>
        {
            if (orientation is { } o)
            {
                image.Metadata.ExifProfile = new ExifProfile();
                image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, o);
            }
        }, new JpegEncoder { Quality = 90 });

    /// <summary>
    /// A JPEG whose stored top-left quadrant is red and the rest blue, with an EXIF orientation:
    /// where the red quadrant lands in a thumbnail shows which way the orientation was applied (FR-2.1).
    /// </summary>
    public static byte[] JpegWithRedCorner(int width, int height, ushort orientation)
    {
        var image = new Image<Rgba32>(width, height);
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
        return Encode(image, i =>
        {
            i.Metadata.ExifProfile = new ExifProfile();
            i.Metadata.ExifProfile.SetValue(ExifTag.Orientation, orientation);
        }, new JpegEncoder { Quality = 90 });
    }

    /// <summary>
    /// Where the stored top-left red quadrant (<see cref="JpegWithRedCorner"/>, <see cref="TiffFiles.RedCorner"/>)
    /// must land once each orientation 1..8 is applied (FR-2.1).
    /// </summary>
    public static TheoryData<ushort, string> RedQuadrantByOrientation => new()
    {
        { 1, "top-left" }, { 2, "top-right" }, { 3, "bottom-right" }, { 4, "bottom-left" },
        { 5, "top-left" }, { 6, "top-right" }, { 7, "bottom-right" }, { 8, "bottom-left" },
    };

    /// <summary>Which quadrant of a decoded image is red ("top-left", "top-right", "bottom-left", "bottom-right"), from their centres.</summary>
    public static string RedQuadrant(Image<Rgba32> image)
    {
        var quadrants = new Dictionary<string, (int X, int Y)>
        {
            ["top-left"] = (image.Width / 4, image.Height / 4),
            ["top-right"] = (image.Width * 3 / 4, image.Height / 4),
            ["bottom-left"] = (image.Width / 4, image.Height * 3 / 4),
            ["bottom-right"] = (image.Width * 3 / 4, image.Height * 3 / 4),
        };
        var red = quadrants.Where(q => image[q.Value.X, q.Value.Y] is { R: > 180, B: < 80 }).Select(q => q.Key).ToList();
        return red.Count == 1 ? red[0] : $"{red.Count} red quadrants";
    }

    public static byte[] Png(int width = 640, int height = 480, bool alpha = false, int seed = 2)
    {
        using var image = Photo(width, height, seed);
        if (alpha)
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

        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder { ColorType = alpha ? PngColorType.RgbWithAlpha : PngColorType.Rgb });
        return stream.ToArray();
    }

    public static byte[] Webp(int width = 640, int height = 480, int seed = 3) =>
        Encode(Photo(width, height, seed), _ => { }, new WebpEncoder { Quality = 80, FileFormat = WebpFileFormatType.Lossy });

    public static byte[] Tiff(int width = 640, int height = 480, int seed = 4) =>
        Encode(Photo(width, height, seed), _ => { }, new TiffEncoder { BitsPerPixel = TiffBitsPerPixel.Bit24 });

    /// <summary>PSNR in dB between two encoded images of the same size, over R, G and B.</summary>
    public static double Psnr(byte[] a, byte[] b)
    {
        using var x = Image.Load<Rgb24>(a);
        using var y = Image.Load<Rgb24>(b);
        return Psnr(x, y);
    }

    /// <summary>PSNR in dB between two images of the same size, over R, G and B.</summary>
    public static double Psnr(Image<Rgb24> x, Image<Rgb24> y)
    {
        Assert.Equal((x.Width, x.Height), (y.Width, y.Height));
        double sum = 0;
        for (var row = 0; row < x.Height; row++)
        {
            for (var column = 0; column < x.Width; column++)
            {
                var p = x[column, row];
                var q = y[column, row];
                sum += Math.Pow(p.R - q.R, 2) + Math.Pow(p.G - q.G, 2) + Math.Pow(p.B - q.B, 2);
            }
        }

        var mse = sum / (x.Width * x.Height * 3.0);
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255 * 255 / mse);
    }

    /// <summary>Whether a JPEG's frame header is progressive (SOF2), read from its markers.</summary>
    public static bool IsProgressiveJpeg(byte[] jpeg)
    {
        var i = 2;
        while (i + 4 <= jpeg.Length && jpeg[i] == 0xFF)
        {
            var marker = jpeg[i + 1];
            if (marker is 0xC2 or 0xDA)
            {
                return marker == 0xC2;
            }

            i += 2 + (jpeg[i + 2] << 8 | jpeg[i + 3]);
        }

        return false;
    }

    /// <summary>
    /// A baseline JPEG of photo-like content written by libjpeg-turbo's cjpeg (libjpeg-turbo-progs),
    /// which, unlike ImageSharp 2.1, writes any chroma sampling (e.g. "-sample 2x1" for 4:2:2).
    /// </summary>
    public static async Task<byte[]> CjpegAsync(int width, int height, int seed, params string[] options)
    {
        using var image = Photo(width, height, seed);
        var ppm = new MemoryStream();
        ppm.Write(System.Text.Encoding.ASCII.GetBytes($"P6\n{width} {height}\n255\n"));
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                foreach (var pixel in rows.GetRowSpan(y))
                {
                    ppm.Write([pixel.R, pixel.G, pixel.B]);
                }
            }
        });
        return await RunLibjpegToolAsync("cjpeg", ppm.ToArray(), options);
    }

    /// <summary>
    /// The same JPEG rewritten as progressive by jpegtran (libjpeg-turbo-progs): lossless, the DCT
    /// coefficients stay as they were.
    /// </summary>
    public static Task<byte[]> ProgressiveAsync(byte[] jpeg, string? restartInterval = null) =>
        RunLibjpegToolAsync("jpegtran", jpeg, restartInterval is null ? ["-progressive", "-copy", "all"] : ["-progressive", "-restart", restartInterval, "-copy", "all"]);

    /// <summary>Runs cjpeg or jpegtran (libjpeg-turbo-progs) on the input through temporary files.</summary>
    private static async Task<byte[]> RunLibjpegToolAsync(string tool, byte[] input, string[] options)
    {
        var program = RepositoryFiles.FindOnPath(tool)
            ?? throw new InvalidOperationException($"{tool} is needed to write JPEGs of every chroma sampling and progressive JPEGs: apt-get install libjpeg-turbo-progs");
        var inputFile = Path.GetTempFileName();
        var outputFile = inputFile + ".jpg";
        try
        {
            await File.WriteAllBytesAsync(inputFile, input);
            var run = await RepositoryFiles.RunAsync(program, [.. options, "-outfile", outputFile, inputFile], TimeSpan.FromSeconds(30));
            Assert.True(run.ExitCode == 0, run.Error);
            return await File.ReadAllBytesAsync(outputFile);
        }
        finally
        {
            File.Delete(inputFile);
            File.Delete(outputFile);
        }
    }

    /// <summary>A valid 1x1-pixel-data PNG whose header claims 50,000 x 50,000 pixels (a decompression bomb).</summary>
    public static byte[] PngClaimingGigapixel()
    {
        var png = Png(8, 8);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), 50_000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), 50_000);
        FixIhdrCrc(png);
        return png;
    }

    public static byte[] TruncatedJpeg() => Jpeg(800, 600)[..2000];

    public static byte[] TruncatedPng() => Png(800, 600)[..3000];

    /// <summary>A little-endian TIFF whose only IFD says width and height are <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static byte[] TiffWithDimensions(uint width, uint height)
    {
        // Header, the IFD at offset 8, then 16 bytes standing for the (absent) pixel data.
        var ifd = HostileImages.TiffIfd((256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (262, 3, 1, 1), (273, 4, 1, 8 + 66));
        return [.. "II"u8, 42, 0, 8, 0, 0, 0, .. ifd, .. new byte[16]];
    }

    /// <summary>
    /// A little-endian TIFF with <paramref name="extraPages"/> more IFDs chained after its first, each
    /// claiming <paramref name="width"/> x <paramref name="height"/> grey pixels whose data is not
    /// there: only a decoder that reads page 1 alone gets through it. With <paramref name="loop"/>,
    /// the first IFD links to itself instead.
    /// </summary>
    public static byte[] TiffWithPages(byte[] tiff, int extraPages, uint width, uint height, bool loop = false)
    {
        Assert.True(tiff[0] == (byte)'I', "little-endian TIFF expected");
        var first = BinaryPrimitives.ReadUInt32LittleEndian(tiff.AsSpan(4));
        var link = (int)first + 2 + (BinaryPrimitives.ReadUInt16LittleEndian(tiff.AsSpan((int)first)) * 12);
        var output = new List<byte>(tiff);
        if (loop)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(output)[link..], first);
            return [.. output];
        }

        for (var page = 0; page < extraPages; page++)
        {
            if (output.Count % 2 == 1)
            {
                output.Add(0);
            }

            var ifd = (uint)output.Count;
            BinaryPrimitives.WriteUInt32LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(output)[link..], ifd);
            var block = HostileImages.TiffIfd(
                (256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1), (273, 4, 1, 8), (278, 4, 1, height), (279, 4, 1, width * height));
            output.AddRange(block);
            link = output.Count - 4;
        }

        return [.. output];
    }

    public static Image<Rgba32> Decode(byte[] bytes) => Image.Load<Rgba32>(bytes);

    /// <summary>The photo-like content every encoded test image is made of: gradients, a wave, deterministic noise; opaque.</summary>
    public static Image<Rgba32> Photo(int width, int height, int seed)
    {
        var image = new Image<Rgba32>(width, height);
        var random = new Random(seed);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    var noise = random.Next(-12, 13);
                    row[x] = new Rgba32(
                        Clamp((x * 255 / Math.Max(1, width - 1)) + noise),
                        Clamp((y * 255 / Math.Max(1, height - 1)) + noise),
                        Clamp(128 + (int)(60 * Math.Sin((x + y) / 37.0)) + noise),
                        255);
                }
            }
        });
        return image;
    }

    private static byte[] Encode(Image<Rgba32> image, Action<Image<Rgba32>> prepare, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using (image)
        {
            prepare(image);
            using var stream = new MemoryStream();
            image.Save(stream, encoder);
            return stream.ToArray();
        }
    }

    private static byte Clamp(int value) => (byte)Math.Clamp(value, 0, 255);

    private static void FixIhdrCrc(byte[] png)
    {
        // IHDR: length at 8, type at 12, data 16..29, CRC at 29 over type+data.
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17)));
    }

    /// <summary>The CRC-32 of PNG chunks (and zlib's polynomial).</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}
