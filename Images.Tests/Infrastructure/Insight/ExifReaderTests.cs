using System.Buffers.Binary;
using Images.Domain.Images;
using Images.Infrastructure.Insight;
using Images.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;
using Image = SixLabors.ImageSharp.Image;

namespace Images.Tests.Infrastructure.Insight;

/// <summary>
/// FR-9.3 and NFR-7: the EXIF reader against goexif's real camera files and the values goexif's own
/// regression file records for them, in every container it reads (JPEG APP1, PNG eXIf, WebP EXIF,
/// TIFF IFD0), and against hostile blocks: goexif's corrupt samples, crafted loops, huge counts,
/// offsets past the end, and thousands of random corruptions, none of which may throw or allocate
/// more than a small bound.
/// </summary>
public sealed class ExifReaderTests(CameraExifSamples samples, ITestOutputHelper output) : IClassFixture<CameraExifSamples>
{
    private static ExifSummary? ReadFile(string path, ImageFormat format)
    {
        using var file = File.OpenRead(path);
        return ExifReader.Read(file, format);
    }

    private static ExifSummary? ReadBytes(byte[] bytes, ImageFormat format)
    {
        using var stream = new MemoryStream(bytes);
        return ExifReader.Read(stream, format);
    }

    [Fact]
    public void EveryCameraSampleReadsAsGoexifRecordedIt_FR9_3()
    {
        var compared = 0;
        foreach (var (name, fields) in samples.Expected)
        {
            var path = samples.Sample(name);
            if (!File.Exists(path) || !fields.ContainsKey("Make"))
            {
                continue;
            }

            var exif = ReadFile(path, ImageFormat.Jpeg);
            Assert.True(exif is not null, name);
            output.WriteLine($"{name}: {exif}");
            Assert.Equal(CameraExifSamples.Text(fields, "Make"), exif.Make);
            Assert.Equal(CameraExifSamples.Text(fields, "Model"), exif.Model);
            Assert.Equal(CameraExifSamples.Text(fields, "LensModel"), exif.Lens);
            if (CameraExifSamples.Text(fields, "DateTimeOriginal") is { } taken)
            {
                Assert.Equal(taken.Replace(' ', 'T')[..10].Replace(':', '-') + taken[10..].Replace(' ', 'T'), exif.TakenAt);
            }

            AssertClose(CameraExifSamples.Rational(fields, "ExposureTime") is > 0 and var e ? e : null, exif.ExposureTime, name + " exposure");
            AssertClose(CameraExifSamples.Rational(fields, "FNumber") is > 0 and var f ? f : null, exif.FNumber, name + " f-number");
            AssertClose(CameraExifSamples.Rational(fields, "FocalLength") is > 0 and var l ? l : null, exif.FocalLength, name + " focal length");
            if (fields.TryGetValue("ISOSpeedRatings", out var iso) && int.Parse(iso, System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                Assert.Equal(int.Parse(iso, System.Globalization.CultureInfo.InvariantCulture), exif.Iso);
            }

            compared++;
        }

        Assert.True(compared >= 40, $"only {compared} samples compared");
    }

    [Fact]
    public void AnIPhonePhotoHasItsLensAndPosition_FR9_3()
    {
        var exif = ReadFile(samples.Sample("has-lens-info.jpg"), ImageFormat.Jpeg)!;
        Assert.Equal("Apple", exif.Make);
        Assert.Equal("iPhone 4S", exif.Model);
        Assert.Equal("iPhone 4S back camera 4.28mm f/2.4", exif.Lens);
        Assert.Equal("2014-09-01T15:03:47", exif.TakenAt);
        Assert.Equal(2.4, exif.FNumber);
        Assert.Equal(50, exif.Iso);

        // goexif: 59/1 19/1 5717/100 N, 18/1 3/1 5379/100 E, altitude 29/1 above sea level.
        Assert.NotNull(exif.Gps);
        Assert.Equal(59 + 19 / 60.0 + 57.17 / 3600, exif.Gps.Lat, 6);
        Assert.Equal(18 + 3 / 60.0 + 53.79 / 3600, exif.Gps.Lon, 6);
        Assert.Equal(29, exif.Gps.Alt);
    }

    [Fact]
    public async Task TheSameBlockIsReadFromPngWebpAndTiffContainers_FR9_3()
    {
        var jpeg = File.ReadAllBytes(samples.ExifFolder + "/sample1.jpg");
        var expected = ReadBytes(jpeg, ImageFormat.Jpeg);
        Assert.NotNull(expected);
        Assert.Equal("NIKON CORPORATION", expected.Make);
        using var image = Image.Load<Rgb24>(jpeg);
        Assert.NotNull(image.Metadata.ExifProfile);
        foreach (var (format, encoder) in new (ImageFormat, SixLabors.ImageSharp.Formats.IImageEncoder)[]
                 {
                     (ImageFormat.Png, new PngEncoder()),
                     (ImageFormat.Webp, new WebpEncoder { FileFormat = WebpFileFormatType.Lossy }),
                 })
        {
            using var buffer = new MemoryStream();
            image.Save(buffer, encoder);
            var read = ReadBytes(buffer.ToArray(), format);
            output.WriteLine($"{format}: {read}");
            Assert.Equal(expected, read);
        }

        // TIFF: the EXIF block is itself a TIFF structure (IFD0 and its Exif and GPS IFDs), read in place.
        Assert.Equal(expected, ReadBytes(ExifReader.ReadBlock(new MemoryStream(jpeg), ImageFormat.Jpeg)!, ImageFormat.Tiff));

        // A real TIFF image whose IFD0 libtiff rewrote after the pixels (tiffset): found wherever it is.
        var path = Path.Combine(Path.GetTempPath(), $"exif-{Guid.NewGuid():N}.tif");
        try
        {
            await image.SaveAsync(path, new TiffEncoder());
            var tiffset = RepositoryFiles.FindOnPath("tiffset") ?? throw new InvalidOperationException("tiffset (libtiff-tools) is needed.");
            foreach (var (tag, value) in new[] { ("271", "NIKON CORPORATION"), ("272", "NIKON D2H"), ("306", "2003:11:23 18:07:37") })
            {
                var set = await RepositoryFiles.RunAsync(tiffset, ["-s", tag, value, path], TimeSpan.FromSeconds(30));
                Assert.True(set.ExitCode == 0, set.Error);
            }

            var tiff = ReadFile(path, ImageFormat.Tiff);
            output.WriteLine($"TIFF: {tiff}");
            Assert.Equal(new ExifSummary("NIKON CORPORATION", "NIKON D2H", null, "2003-11-23T18:07:37", null, null, null, null, null), tiff);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task AStreamThatCannotSeekIsReadForItsFirstMegabyte_FR9_3()
    {
        // An object store's stream (S3) does not seek: the analyser reads its first bytes only.
        var bytes = await File.ReadAllBytesAsync(samples.ExifFolder + "/sample1.jpg");
        await using var unseekable = new ForwardOnlyStream(bytes);
        var exif = await new ImageAnalyser().ReadExifAsync(unseekable, ImageFormat.Jpeg, CancellationToken.None);
        Assert.Equal(ReadBytes(bytes, ImageFormat.Jpeg), exif);
    }

    private sealed class ForwardOnlyStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override bool CanSeek => false;

        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }
    }

    [Fact]
    public void ImagesWithoutExifHaveNone_FR9_3()
    {
        Assert.Null(ReadBytes(TestImages.Png(64, 64), ImageFormat.Png));
        Assert.Null(ReadBytes(TestImages.Webp(64, 64), ImageFormat.Webp));
        Assert.Null(ReadBytes([0xFF, 0xD8, 0xFF, 0xD9], ImageFormat.Jpeg));
        Assert.Null(ReadBytes([], ImageFormat.Jpeg));
    }

    [Theory]
    [InlineData("huge_tag_exif.jpg")]
    [InlineData("infinite_loop_exif.jpg")]
    [InlineData("max_uint32_exif.jpg")]
    public void GoexifsCorruptSamplesNeitherThrowNorAllocate_NFR7(string name)
    {
        var bytes = File.ReadAllBytes(samples.Corrupt(name));
        var before = GC.GetAllocatedBytesForCurrentThread();
        var exif = ReadBytes(bytes, ImageFormat.Jpeg);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{name}: {exif?.ToString() ?? "no EXIF"}, {allocated} bytes allocated");
        Assert.True(allocated < 256 * 1024, $"{allocated} bytes");
    }

    [Fact]
    public void CraftedLoopsHugeCountsAndOffsetsPastTheEndAreSkipped_NFR7()
    {
        // IFD0 at 8 whose Exif and GPS pointers lead back to IFD0 and to itself.
        var loop = Tiff(little: true, entries: [(0x010F, 2, 4, Ascii("Cam")), (0x8769, 4, 1, 8), (0x8825, 4, 1, 8)]);
        var exif = ExifReader.ParseBlock(loop);
        Assert.Equal("Cam", exif?.Make);
        Assert.Null(exif!.Gps);

        // 65,535 entries claimed in a 40-byte block.
        var huge = Tiff(little: false, entries: [(0x010F, 2, 4, Ascii("Cam"))]);
        BinaryPrimitives.WriteUInt16BigEndian(huge.AsSpan(8), 0xFFFF);
        Assert.Null(ExifReader.ParseBlock(huge));

        // A string of 4 GB at an offset past the end; a rational at offset 0xFFFFFFF0; IFD0 past the end.
        var past = Tiff(little: true, entries: [(0x010F, 2, uint.MaxValue, 0xFFFF_FFF0), (0x0110, 2, 6, 4000), (0x8769, 4, 1, 0xFFFF_FFFF)]);
        Assert.Null(ExifReader.ParseBlock(past));
        var nowhere = Tiff(little: true, entries: []);
        BinaryPrimitives.WriteUInt32LittleEndian(nowhere.AsSpan(4), 0x7FFF_FFFF);
        Assert.Null(ExifReader.ParseBlock(nowhere));

        // Rationals with zero denominators, latitude of 400 degrees, control characters in a string.
        var silly = Tiff(little: true, entries: [(0x010F, 2, 6, Ascii("A\u0001B\u0002C")), (0x8825, 4, 1, 0)]);
        Assert.Equal("ABC", ExifReader.ParseBlock(silly)?.Make);

        // A JPEG whose APP1 claims more bytes than the file has, a PNG eXIf of 4 GB, a WebP EXIF of 4 GB.
        Assert.Null(ReadBytes([0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xF0, (byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0, (byte)'I', (byte)'I'], ImageFormat.Jpeg));
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0xFF, 0xFF, 0xFF, 0xFF, (byte)'e', (byte)'X', (byte)'I', (byte)'f', 1, 2, 3 };
        Assert.Null(ReadBytes(png, ImageFormat.Png));
        var webp = "RIFF\0\0\0\0WEBPEXIF"u8.ToArray().Concat(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 1, 2 }).ToArray();
        Assert.Null(ReadBytes(webp, ImageFormat.Webp));

        // A TIFF file whose IFD0 claims 65,535 entries: refused, nothing read beyond the budget.
        var tiff = Tiff(little: true, entries: [(0x010F, 2, 4, Ascii("Cam"))]);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(8), 0xFFFF);
        Assert.Null(ReadBytes(tiff, ImageFormat.Tiff));
    }

    [Fact]
    public void ThousandsOfRandomCorruptionsOfRealBlocksNeverThrowNorAllocateMuch_NFR7()
    {
        var random = new Random(20261201);
        var sources = new[] { "has-lens-info.jpg", "2012-12-19-21-38-40-sep-temple_square1.jpg", "2009-06-11-19-23-18-sep-2009-06-11-19-23-18a.jpg" }
            .Select(n => File.ReadAllBytes(samples.Sample(n)))
            .Append(File.ReadAllBytes(samples.ExifFolder + "/sample1.jpg"))
            .ToList();
        var parsed = 0;
        var maxAllocated = 0L;
        foreach (var source in sources)
        {
            var block = ExifReader.ReadBlock(new MemoryStream(source), ImageFormat.Jpeg)!;
            Assert.NotNull(block);
            for (var round = 0; round < 1500; round++)
            {
                var mutated = (byte[])block.Clone();
                var edits = random.Next(1, 12);
                for (var e = 0; e < edits; e++)
                {
                    switch (random.Next(4))
                    {
                        case 0 when mutated.Length > 0:
                            mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
                            break;
                        case 1 when mutated.Length > 0:
                            mutated[random.Next(Math.Min(mutated.Length, 512))] = 0xFF; // counts, types and offsets near the header
                            break;
                        case 2 when mutated.Length >= 4:
                            var at = random.Next(Math.Max(1, mutated.Length - 4));
                            BinaryPrimitives.WriteUInt32LittleEndian(mutated.AsSpan(at), (uint)random.Next());
                            break;
                        case 3:
                            mutated = mutated[..random.Next(mutated.Length + 1)];
                            break;
                        default:
                            break;
                    }
                }

                var before = GC.GetAllocatedBytesForCurrentThread();
                _ = ExifReader.ParseBlock(mutated);
                maxAllocated = Math.Max(maxAllocated, GC.GetAllocatedBytesForCurrentThread() - before);
                parsed++;
            }
        }

        output.WriteLine($"{parsed} corrupted blocks parsed; at most {maxAllocated} bytes allocated by one parse");
        Assert.True(maxAllocated < 256 * 1024, $"{maxAllocated} bytes");
    }

    private static void AssertClose(double? expected, double? actual, string what)
    {
        if (expected is null)
        {
            return;
        }

        Assert.True(actual is not null, what + ": missing");
        Assert.True(Math.Abs(expected.Value - actual.Value) < 1e-5, $"{what}: {actual} instead of {expected}");
    }

    private static byte[] Ascii(string text) => [.. System.Text.Encoding.ASCII.GetBytes(text), 0];

    /// <summary>A TIFF-structured block: header, IFD0 at 8 with the entries, out-of-line values after it.</summary>
    private static byte[] Tiff(bool little, (ushort Tag, ushort Type, uint Count, object Value)[] entries)
    {
        var data = new List<byte>();
        var ifdSize = 2 + entries.Length * 12 + 4;
        var extra = new List<byte>();
        var block = new byte[8 + ifdSize];
        void U16(int at, ushort v) { if (little) BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(at), v); else BinaryPrimitives.WriteUInt16BigEndian(block.AsSpan(at), v); }
        void U32(int at, uint v) { if (little) BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(at), v); else BinaryPrimitives.WriteUInt32BigEndian(block.AsSpan(at), v); }
        block[0] = block[1] = (byte)(little ? 'I' : 'M');
        U16(2, 42);
        U32(4, 8);
        U16(8, (ushort)entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            var (tag, type, count, value) = entries[i];
            var at = 10 + i * 12;
            U16(at, tag);
            U16(at + 2, type);
            U32(at + 4, count);
            switch (value)
            {
                case byte[] bytes when bytes.Length <= 4:
                    bytes.CopyTo(block, at + 8);
                    break;
                case byte[] bytes:
                    U32(at + 8, (uint)(8 + ifdSize + extra.Count));
                    extra.AddRange(bytes);
                    break;
                case int number:
                    U32(at + 8, (uint)number);
                    break;
                case uint number:
                    U32(at + 8, number);
                    break;
            }
        }

        return [.. block, .. extra];
    }
}
