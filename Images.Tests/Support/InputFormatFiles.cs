using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;

namespace Images.Tests.Support;

/// <summary>
/// Real GIF, HEIC and AVIF files for FR-8.6's tests, made at run time by Debian's own encoders
/// (never committed): heif-enc (libheif-examples, x265) and avifenc (libavif-bin, aom) from a
/// real photo of the Debian wallpaper corpus and from Debian's logo artwork with transparency;
/// vips (libvips-tools) for a real-photo GIF; ImageSharp's GIF encoder for animations whose frames
/// have different colours. Everything lives in one temporary folder, removed at the end.
/// </summary>
public sealed class InputFormatFiles : IAsyncLifetime
{
    private readonly DebianPhotos _photos = new();
    private readonly DebianAlphaImages _alpha = new();
    private DirectoryInfo? _work;

    /// <summary>Colours of the animations' frames, first frame first.</summary>
    public static readonly Rgba32[] FrameColours = [new(220, 30, 30), new(30, 200, 40), new(40, 60, 230)];

    public string Folder => _work!.FullName;

    public string Path(string name) => System.IO.Path.Combine(Folder, name);

    /// <summary>A real photo (the corpus's largest JPEG) reduced to 1024 px, as a lossless PNG: the source of the others.</summary>
    public string PhotoPng => Path("photo.png");

    public string PhotoHeic => Path("photo.heic");

    public string PhotoAvif => Path("photo.avif");

    public string PhotoGif => Path("photo.gif");

    /// <summary>Debian's logo (transparent around it) reduced to 600 px, as PNG, HEIC (alpha auxiliary image) and AVIF (alpha item).</summary>
    public string LogoPng => Path("logo.png");

    public string LogoHeic => Path("logo.heic");

    public string LogoAvif => Path("logo.avif");

    /// <summary>A GIF of 120 x 80 whose left half is transparent (GCE transparent index).</summary>
    public string TransparentGif => Path("transparent.gif");

    /// <summary>An animated GIF of three 96 x 64 frames coloured <see cref="FrameColours"/>.</summary>
    public string AnimatedGif => Path("animated.gif");

    /// <summary>An AVIF sequence of three 64 x 48 frames coloured <see cref="FrameColours"/> (avifenc with three inputs).</summary>
    public string AvifSequence => Path("sequence.avif");

    /// <summary>The photo as AVIF with irot = <paramref name="angle"/> (quarter turns anticlockwise) and optionally imir.</summary>
    public string RotatedAvif(int angle, int? mirror) => Path($"rotated-{angle}-{mirror?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "n"}.avif");

    public static readonly (int Angle, int? Mirror)[] Rotations = [(1, null), (2, null), (3, null), (0, 0), (0, 1), (1, 0)];

    /// <summary>A 120 x 80 JPEG with EXIF orientation 6 (the committed fuzz seed) made HEIC by heif-enc, which keeps the EXIF and writes no irot.</summary>
    public string ExifHeic => Path("exif6.heic");

    /// <summary>The photo in Display P3 (vips's icc_transform with the tests' P3 profile), as HEIC and AVIF carrying the profile in a `colr` property.</summary>
    public string P3Heic => Path("p3.heic");

    public string P3Avif => Path("p3.avif");

    /// <summary>
    /// The photo's HEIC with an `irot` property of one quarter turn anticlockwise on its primary
    /// image. heif-enc 1.15 cannot write one, so heif-enc's `pixi` property (16 bytes, associated with
    /// the primary image) is overwritten in place by an `irot` box of the same length (libheif reads
    /// its first byte): nothing moves, so every offset stays right.
    /// </summary>
    public string RotatedHeic => Path("rotated.heic");

    /// <summary>An LZW bomb: 8,000 x 8,000 pixels of one colour in about 44 KB (vips/cgif).</summary>
    public string GifBomb => Path("bomb.gif");

    public async Task InitializeAsync()
    {
        await _photos.InitializeAsync();
        await _alpha.InitializeAsync();
        _work = Directory.CreateTempSubdirectory("images-inputs-");
        var photo = _photos.Take(".jpg", 1)[0];
        await Run("vips", "thumbnail", photo, PhotoPng, "1024");
        await Run("vips", "copy", PhotoPng, Path("photo.jpg") + "[Q=95]");
        await Run("heif-enc", "-q", "85", Path("photo.jpg"), "-o", PhotoHeic);
        await Run("avifenc", "-s", "8", "-j", "1", PhotoPng, PhotoAvif);
        await File.WriteAllBytesAsync(RotatedHeic, WithIrot(await File.ReadAllBytesAsync(PhotoHeic), 1));
        await Run("vips", "copy", PhotoPng, PhotoGif);
        await Run("vips", "icc_transform", PhotoPng, Path("p3.png"), RepositoryFiles.PathOf("Images.Tests", "Native", "TestData", "display-p3.icc"), "--input-profile", "srgb");
        await Run("heif-enc", "-q", "90", Path("p3.png"), "-o", P3Heic);
        await Run("avifenc", "-s", "8", "-j", "1", Path("p3.png"), P3Avif);
        await Run("vips", "thumbnail", _alpha.Logo, LogoPng, "600");
        await Run("heif-enc", "-q", "85", LogoPng, "-o", LogoHeic);
        await Run("avifenc", "-s", "8", "-j", "1", LogoPng, LogoAvif);
        await Run("heif-enc", "-q", "90", RepositoryFiles.PathOf("Images.Native", "fuzz", "seeds", "baseline-exif6.jpg"), "-o", ExifHeic);
        foreach (var (angle, mirror) in Rotations)
        {
            string[] transform = mirror is { } m ? ["--irot", $"{angle}", "--imir", $"{m}"] : ["--irot", $"{angle}"];
            await Run("avifenc", ["-s", "10", "-j", "1", .. transform, PhotoPng, RotatedAvif(angle, mirror)]);
        }

        var frames = new List<string>();
        for (var i = 0; i < FrameColours.Length; i++)
        {
            var frame = Path($"frame{i}.png");
            using (var image = new Image<Rgba32>(64, 48, FrameColours[i]))
            {
                await image.SaveAsPngAsync(frame);
            }

            frames.Add(frame);
        }

        await Run("avifenc", ["-s", "10", "-j", "1", "--fps", "10", .. frames, AvifSequence]);
        await Run("vips", "black", Path("black.v"), "8000", "8000");
        await Run("vips", "copy", Path("black.v"), GifBomb);
        File.Delete(Path("black.v"));
        await File.WriteAllBytesAsync(AnimatedGif, Animation(96, 64, FrameColours));
        await File.WriteAllBytesAsync(TransparentGif, HalfTransparent(120, 80));
    }

    /// <summary>A HEIF file whose `pixi` property becomes an `irot` of <paramref name="angle"/> quarter turns anticlockwise (see <see cref="RotatedHeic"/>).</summary>
    public static byte[] WithIrot(byte[] heic, int angle)
    {
        var copy = (byte[])heic.Clone();
        var at = copy.AsSpan().IndexOf("pixi"u8) - 4;
        if (at < 0)
        {
            throw new InvalidOperationException("heif-enc wrote no pixi property to turn into irot");
        }

        var length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(copy.AsSpan(at));
        "irot"u8.CopyTo(copy.AsSpan(at + 4));
        copy[at + 8] = (byte)angle;
        copy.AsSpan(at + 9, length - 9).Clear();
        return copy;
    }

    /// <summary>An animated GIF, one frame per colour (the first frame's colour everywhere on the first frame).</summary>
    public static byte[] Animation(int width, int height, IReadOnlyList<Rgba32> colours)
    {
        using var gif = new Image<Rgba32>(width, height, colours[0]);
        foreach (var colour in colours.Skip(1))
        {
            using var frame = new Image<Rgba32>(width, height, colour);
            gif.Frames.AddFrame(frame.Frames.RootFrame);
        }

        gif.Metadata.GetGifMetadata().RepeatCount = 0;
        using var buffer = new MemoryStream();
        gif.SaveAsGif(buffer, new GifEncoder { ColorTableMode = GifColorTableMode.Local });
        return buffer.ToArray();
    }

    /// <summary>A GIF whose left half is transparent and right half opaque orange.</summary>
    public static byte[] HalfTransparent(int width, int height)
    {
        using var gif = new Image<Rgba32>(width, height, new Rgba32(0, 0, 0, 0));
        gif.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                rows.GetRowSpan(y)[(width / 2)..].Fill(new Rgba32(250, 140, 20));
            }
        });
        using var buffer = new MemoryStream();
        gif.SaveAsGif(buffer);
        return buffer.ToArray();
    }

    private static Task Run(string program, params string[] arguments) => Run(program, (IEnumerable<string>)arguments);

    private static async Task Run(string program, IEnumerable<string> arguments)
    {
        var list = arguments.ToList();
        var run = await RepositoryFiles.RunAsync(program, list, TimeSpan.FromMinutes(3));
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{program} {string.Join(' ', list)} failed ({run.ExitCode}): {run.Error} (install libheif-examples, libavif-bin and libvips-tools: .ci/run does)");
        }
    }

    public Task DisposeAsync()
    {
        _work?.Delete(recursive: true);
        return Task.CompletedTask;
    }
}
