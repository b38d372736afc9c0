using System.Buffers.Binary;
using System.IO.Compression;
using Images.Native;
using Images.Tests.Support;
using Xunit.Abstractions;

namespace Images.Tests.Native;

/// <summary>
/// Issue 14: the library's own IDAT reader (png_idat.c: 8-bit RGB and RGBA; the stream inflated
/// whole by libdeflate, or streamed through zlib on a helper thread; the filters undone with SSE2)
/// must give exactly libpng's pixels, and fail where libpng fails. Each PNG here is written by the
/// test itself (rows of noise, each row's filter chosen by the case, the zlib stream cut into IDAT
/// chunks of any size), then decoded three times: inflated whole (with
/// <see cref="NativeDecodeOptions.PngWholeOnly"/>, so that a silent fall back to the streamed
/// reader would fail), with <see cref="NativeDecodeOptions.PngStreamed"/> and with
/// <see cref="NativeDecodeOptions.LibpngOnly"/>. The full-size PNG rendition (the decoded pixels
/// themselves: at the source's size the reducer passes them through, and the alpha of these
/// images is never 0, so premultiplying loses nothing) and the 256 px thumbnail must be the same
/// bytes.
/// </summary>
public class NativePngReaderTests(ITestOutputHelper output)
{
    private const long Limit = 100_000_000;

    public static TheoryData<int, int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int, int>();
        // (colour type, width, height, filter: 0-4 every row the same, 5 a random filter per row)
        foreach (var colourType in new[] { 2, 6 })
        {
            foreach (var (width, height) in new[] { (97, 61), (1500, 700), (257, 4100) })
            {
                for (var filter = 0; filter <= 5; filter++)
                {
                    data.Add(colourType, width, height, filter);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TheIdatReaderGivesLibpngsPixelsOnEveryFilter(int colourType, int width, int height, int filter)
    {
        var png = Build(colourType, width, height, seed: width + height + filter, filter: filter);

        var (whole, wholeInfo) = Decode(png, NativeDecodeOptions.PngWholeOnly, width, height);
        var (streamed, streamedInfo) = Decode(png, NativeDecodeOptions.PngStreamed, width, height);
        var (libpng, libpngInfo) = Decode(png, NativeDecodeOptions.LibpngOnly, width, height);
        var byDefault = Decode(png, NativeDecodeOptions.None, width, height).Outputs;
        Assert.Equal(whole.Rendition, byDefault.Rendition);
        Assert.Equal(whole.Thumbnail, byDefault.Thumbnail);

        Assert.Equal(libpng.Rendition, whole.Rendition);
        Assert.Equal(libpng.Thumbnail, whole.Thumbnail);
        Assert.Equal(libpng.Rendition, streamed.Rendition);
        Assert.Equal(libpng.Thumbnail, streamed.Thumbnail);
        // Three decodes, not one: their plans estimate different working memory (the whole
        // stream's the most: the inflated rows and the stream).
        Assert.Equal(3, new[] { wholeInfo.MemoryBytes, streamedInfo.MemoryBytes, libpngInfo.MemoryBytes }.Distinct().Count());
        Assert.True(wholeInfo.MemoryBytes > (long)height * width * (colourType == 6 ? 4 : 3), $"{wholeInfo.MemoryBytes}");
        output.WriteLine($"{width}x{height} type {colourType} filter {filter}: {png.Length} bytes, estimates {wholeInfo.MemoryBytes} / {streamedInfo.MemoryBytes} / {libpngInfo.MemoryBytes}");
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(7, true)]
    [InlineData(65_536, true)]
    public void TheImageDataCutIntoChunksOfAnySizeReadsTheSame(int chunkSize, bool emptyChunksBetween)
    {
        var whole = Build(6, 1200, 900, seed: 5, filter: 5);
        var cut = Build(6, 1200, 900, seed: 5, filter: 5, chunkSize: chunkSize, emptyChunks: emptyChunksBetween);
        Assert.NotEqual(whole.Length, cut.Length);

        var expected = Decode(whole, NativeDecodeOptions.LibpngOnly, 1200, 900).Outputs.Rendition;
        foreach (var options in new[] { NativeDecodeOptions.PngWholeOnly, NativeDecodeOptions.PngStreamed, NativeDecodeOptions.LibpngOnly })
        {
            Assert.Equal(expected, Decode(cut, options, 1200, 900).Outputs.Rendition);
        }
    }

    public static TheoryData<string, string> Faults => new()
    {
        { "bad-filter", "bad adaptive filter value" },
        { "idat-crc", "IDAT: CRC error" },
        { "stream-short", "not enough image data" },
        { "file-truncated", "unexpected end of file" },
        { "no-iend", "unexpected end of file" },
        { "bad-deflate", "zlib" },
        { "bad-zlib-header", "incorrect header check" },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public void ACorruptFileFailsAsLibpngFails(string fault, string message)
    {
        foreach (var (width, height) in new[] { (300, 200), (1500, 800) }) // on the calling thread, and inflated on the helper
        {
            var png = fault switch
            {
                "bad-filter" => Build(2, width, height, seed: 9, filter: 5, badFilterRow: height / 2),
                "idat-crc" => FlipIdatCrc(Build(2, width, height, seed: 9, filter: 4, chunkSize: 8192)),
                "stream-short" => Build(2, width, height, seed: 9, filter: 1, rowsInStream: height - 3),
                "file-truncated" => Build(2, width, height, seed: 9, filter: 3)[..(width * height)],
                "no-iend" => Build(2, width, height, seed: 9, filter: 2)[..^12],
                "bad-deflate" => Build(2, width, height, seed: 9, filter: 4, corruptDeflate: true),
                _ => Build(2, width, height, seed: 9, filter: 0, badZlibHeader: true),
            };

            var libpng = Assert.Throws<NativeImageException>(() => Thumbnail(png, NativeDecodeOptions.LibpngOnly));
            Assert.Equal(NativeStatus.Invalid, libpng.Status);
            foreach (var options in new[] { NativeDecodeOptions.None, NativeDecodeOptions.PngStreamed })
            {
                var ours = Assert.Throws<NativeImageException>(() => Thumbnail(png, options));
                output.WriteLine($"{fault} {width}x{height} {options}: \"{ours.Message}\"; libpng: \"{libpng.Message}\"");
                Assert.Equal(NativeStatus.Invalid, ours.Status);
                if (message == "zlib")
                {
                    // where the corruption lands decides which of zlib's data errors it is
                    Assert.Matches("^corrupt PNG: (invalid|incorrect|too many|unknown)", ours.Message);
                }
                else
                {
                    Assert.Contains(message, ours.Message, StringComparison.Ordinal);
                }
            }

            // inflated whole, the fault is never decided there: it fails, or goes to the streamed reader
            Assert.Equal(NativeStatus.Invalid, Assert.Throws<NativeImageException>(() => Thumbnail(png, NativeDecodeOptions.PngWholeOnly)).Status);
        }
    }

    [Fact]
    public void RowsBeyondTheImageInTheStreamAreIgnoredAsLibpngIgnoresThem()
    {
        var png = Build(6, 1100, 1000, seed: 3, filter: 5, rowsInStream: 1010);
        var expected = Decode(png, NativeDecodeOptions.LibpngOnly, 1100, 1000).Outputs.Rendition;
        Assert.Equal(expected, Decode(png, NativeDecodeOptions.None, 1100, 1000).Outputs.Rendition);
        Assert.Equal(expected, Decode(png, NativeDecodeOptions.PngStreamed, 1100, 1000).Outputs.Rendition);
        // libdeflate will not inflate more than the rows: the streamed reader took it
        var wholeOnly = Assert.Throws<NativeImageException>(() => Thumbnail(png, NativeDecodeOptions.PngWholeOnly));
        Assert.Contains("whole only", wholeOnly.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(NativeDecodeOptions.PngWholeOnly)]
    [InlineData(NativeDecodeOptions.PngStreamed)]
    public void ADecodeCancelledWhileItRunsStops(NativeDecodeOptions options)
    {
        // 2800 x 2800 RGBA, about 31 MB of rows: inflated whole (the plan says so) or streamed,
        // tens of milliseconds of work; the token is cancelled 5 ms after the call starts.
        var png = Build(6, 2800, 2800, seed: 8, filter: 5);
        var request = new NativeThumbnailRequest(256, 85, Limit, 512L << 20, 0, NativeOutput.Jpeg, options);
        var planned = NativeThumbnailer.Plan(png, request).MemoryBytes;
        Assert.True(options == NativeDecodeOptions.PngStreamed ? planned < 4L << 20 : planned > 31_000_000, $"{planned}");
        using var cancellation = new CancellationTokenSource();
        cancellation.CancelAfter(TimeSpan.FromMilliseconds(5));
        var ex = Assert.Throws<NativeImageException>(() => NativeThumbnailer.CreateThumbnail(png, request, cancellation.Token));
        Assert.Equal((NativeStatus.Cancelled, "cancelled"), (ex.Status, ex.Message));
        Assert.Equal(256, NativeThumbnailer.CreateThumbnail(png, request).Width);
    }

    [Theory]
    [InlineData(NativeDecodeOptions.None)]
    [InlineData(NativeDecodeOptions.PngStreamed)]
    public void ACancelledDecodeStops(NativeDecodeOptions options)
    {
        var png = Build(6, 2000, 1500, seed: 4, filter: 4);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var ex = Assert.Throws<NativeImageException>(() => NativeThumbnailer.CreateThumbnail(png, new NativeThumbnailRequest(256, 85, Limit, 0, 0, NativeOutput.Jpeg, options), cancelled.Token));
        Assert.Equal(NativeStatus.Cancelled, ex.Status);
        // and the library is fine afterwards
        Assert.Equal(256, NativeThumbnailer.CreateThumbnail(png, new NativeThumbnailRequest(256, 85, Limit, 0, 0, NativeOutput.Jpeg, options)).Width);
    }

    [Fact]
    public void AnImageTooLargeToInflateWholeWithinHalfTheBudgetIsStreamed()
    {
        // 1500 x 1000 RGBA: 6 MB of rows inflated whole; with a budget of 8 MiB they would take more
        // than half of it, so the plan streams (a ring of rows) and the decode still succeeds.
        var png = Build(6, 1500, 1000, seed: 6, filter: 5);
        var roomy = NativeThumbnailer.Plan(png, new NativeThumbnailRequest(256, 85, Limit, 512L << 20, 0));
        var tight = NativeThumbnailer.Plan(png, new NativeThumbnailRequest(256, 85, Limit, 8L << 20, 0));
        var streamed = NativeThumbnailer.Plan(png, new NativeThumbnailRequest(256, 85, Limit, 512L << 20, 0, NativeOutput.Jpeg, NativeDecodeOptions.PngStreamed));
        Assert.True(roomy.MemoryBytes > 6_000_000, $"{roomy.MemoryBytes}");
        Assert.Equal(streamed.MemoryBytes, tight.MemoryBytes);
        Assert.True(tight.MemoryBytes < 4L << 20, $"{tight.MemoryBytes}");
        Assert.Equal(
            NativeThumbnailer.CreateThumbnail(png, new NativeThumbnailRequest(256, 85, Limit, 512L << 20, 0)).Data,
            NativeThumbnailer.CreateThumbnail(png, new NativeThumbnailRequest(256, 85, Limit, 8L << 20, 0)).Data);
    }

    private static byte[] Thumbnail(byte[] png, NativeDecodeOptions options) =>
        NativeThumbnailer.CreateThumbnail(png, new NativeThumbnailRequest(256, 85, Limit, 512L << 20, 0, NativeOutput.Jpeg, options)).Data;

    private static ((byte[] Rendition, byte[] Thumbnail) Outputs, NativeImageInfo Info) Decode(byte[] png, NativeDecodeOptions options, int width, int height)
    {
        const NativeRenditionFormat format = NativeRenditionFormat.Png;
        var set = NativeRenditionMaker.Create(png, new NativeRenditionsRequest([Math.Max(width, height)], [format],
            new NativeThumbnailRequest(256, 85, Limit, 512L << 20, 0, NativeOutput.Jpeg, options), PngAlways: true));
        var full = Assert.Single(set.Renditions);
        Assert.Equal((width, height), (full.Width, full.Height));
        var thumbnail = NativeThumbnailer.CreateThumbnail(png, new NativeThumbnailRequest(256, 85, Limit, 512L << 20, 0, NativeOutput.Jpeg, options));
        return ((full.Files[format], thumbnail.Data), thumbnail.Source);
    }

    /// <summary>
    /// An 8-bit PNG of noise (colour type 2 or 6): every row filtered with <paramref name="filter"/>
    /// (0-4) or a random one (5), compressed as one zlib stream and cut into IDAT chunks.
    /// </summary>
    private static byte[] Build(int colourType, int width, int height, int seed, int filter, int chunkSize = int.MaxValue, bool emptyChunks = false,
        int? badFilterRow = null, int? rowsInStream = null, bool corruptDeflate = false, bool badZlibHeader = false)
    {
        var channels = colourType == 6 ? 4 : 3;
        var stride = width * channels;
        var random = new Random(seed);
        var rows = rowsInStream ?? height;
        var previous = new byte[stride];
        var current = new byte[stride];
        using var raw = new MemoryStream();
        for (var y = 0; y < rows; y++)
        {
            // noise over gradients, so that every filter's choices (Paeth's three) all happen
            for (var i = 0; i < stride; i++)
            {
                current[i] = (byte)(((i / channels) + y) * (1 + (i % channels)) / 3 + random.Next(-20, 21));
                if (channels == 4 && i % 4 == 3)
                {
                    current[i] |= 1; // never transparent: the PNG rendition then keeps every colour
                }
            }

            var type = filter == 5 ? random.Next(5) : filter;
            raw.WriteByte(y == badFilterRow ? (byte)5 : (byte)type);
            raw.Write(Filter(type, current, previous, channels));
            (previous, current) = (current, previous);
        }

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            zlib.Write(raw.GetBuffer(), 0, (int)raw.Length);
        }

        var stream = compressed.ToArray();
        if (corruptDeflate)
        {
            for (var i = stream.Length / 3; i < stream.Length / 3 + 64; i++)
            {
                stream[i] ^= 0x5A;
            }
        }

        if (badZlibHeader)
        {
            stream[1] ^= 1; // FCHECK no longer makes the header a multiple of 31
        }

        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = 8;
        ihdr[9] = (byte)colourType;
        HostileImages.WriteChunk(png, "IHDR", ihdr);
        for (var offset = 0; offset < stream.Length; offset += chunkSize)
        {
            HostileImages.WriteChunk(png, "IDAT", stream[offset..Math.Min(stream.Length, offset + Math.Min(chunkSize, stream.Length))]);
            if (emptyChunks)
            {
                HostileImages.WriteChunk(png, "IDAT", []);
            }
        }

        HostileImages.WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static byte[] Filter(int type, byte[] row, byte[] previous, int bpp)
    {
        var filtered = new byte[row.Length];
        for (var i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = previous[i], c = i >= bpp ? previous[i - bpp] : 0;
            var predictor = type switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                _ => Paeth(a, b, c),
            };
            filtered[i] = (byte)(row[i] - predictor);
        }

        return filtered;
    }

    private static int Paeth(int a, int b, int c)
    {
        int pa = Math.Abs(b - c), pb = Math.Abs(a - c), pc = Math.Abs(a + b - 2 * c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>The CRC of the second IDAT chunk made wrong.</summary>
    private static byte[] FlipIdatCrc(byte[] png)
    {
        var copy = png.ToArray();
        var seen = 0;
        for (var pos = 8; pos + 12 <= copy.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(copy.AsSpan(pos));
            if (copy.AsSpan(pos + 4, 4).SequenceEqual("IDAT"u8) && ++seen == 2)
            {
                copy[pos + 8 + length] ^= 0xFF;
                return copy;
            }

            pos += 12 + length;
        }

        throw new InvalidOperationException("fewer than two IDAT chunks");
    }
}
