using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;
using Images.Infrastructure.Processing;
using Images.Tests.Support;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp.PixelFormats;
using Image = SixLabors.ImageSharp.Image;

namespace Images.Tests.Infrastructure;

/// <summary>
/// FR-8.1/FR-8.2 on the managed path (ImageSharp 2.1, for what the native library leaves aside or
/// when it is missing): the sizes from one decode, the thumbnail's JPEG with the pixels it always had, alpha kept
/// in WebP and PNG, no metadata; no AVIF and no colour conversion, which ImageSharp 2.1 cannot do
/// (ADR 12).
/// </summary>
public class ManagedRenditionsTests
{
    private static readonly ImageSharpImageProcessor Processor = new(Options.Create(new ProcessingOptions()));

    private static readonly RenditionSize[] Sizes = [new(Rendition.Thumbnail, 256), new("preview", 512)];

    [Fact]
    public async Task EverySizeInJpegWebpAndPngForAlphaAndTheThumbnailAsBefore_FR8_1_FR8_2()
    {
        var png = TestImages.Png(1200, 600, alpha: true, seed: 81);

        var set = await Processor.CreateRenditionsAsync(new MemoryStream(png), ImageFormat.Png, Sizes, CancellationToken.None);
        using var thumbnail = new MemoryStream();
        await Processor.CreateThumbnailAsync(new MemoryStream(png), ImageFormat.Png, thumbnail, CancellationToken.None);

        Assert.Equal([RenditionFormat.Avif], set.Unavailable);
        Assert.Equal([(256, 128), (512, 256)], set.Renditions.Select(r => (r.Width, r.Height)));
        Assert.All(set.Renditions, r => Assert.Equal([RenditionFormat.Jpeg, RenditionFormat.Webp, RenditionFormat.Png], r.Files.Keys.Order()));
        // With the default renditions the thumbnail has the pixels it always had; its bytes lose the
        // metadata ImageSharp used to copy (an EXIF block, for a JPEG source its GPS too: FR-8.1).
        var alone = await Processor.CreateRenditionsAsync(new MemoryStream(png), ImageFormat.Png, [Sizes[0]], CancellationToken.None);
        using (var before = Image.Load<Rgba32>(thumbnail.ToArray()))
        using (var now = Image.Load<Rgba32>(alone.Renditions[0].Files[RenditionFormat.Jpeg].Bytes.Span))
        {
            Assert.Equal((before.Width, before.Height), (now.Width, now.Height));
            for (var y = 0; y < now.Height; y++)
            {
                for (var x = 0; x < now.Width; x++)
                {
                    Assert.Equal(before[x, y], now[x, y]);
                }
            }
        }

        Assert.NotEmpty(RenditionFiles.MetadataBlocks(thumbnail.ToArray(), "jpeg"));

        foreach (var rendition in set.Renditions)
        {
            using var source = Image.Load<Rgba32>(png);
            using var webp = Image.Load<Rgba32>(rendition.Files[RenditionFormat.Webp].Bytes.Span);
            using var lossless = Image.Load<Rgba32>(rendition.Files[RenditionFormat.Png].Bytes.Span);
            Assert.Equal((rendition.Width, rendition.Height), (webp.Width, webp.Height));
            Assert.True(lossless[0, 0].A < 255 || webp[0, 0].A == lossless[0, 0].A, "alpha kept");
            Assert.InRange(Math.Abs(webp[rendition.Width / 2, rendition.Height / 2].A - lossless[rendition.Width / 2, rendition.Height / 2].A), 0, 16);
            foreach (var (format, file) in rendition.Files)
            {
                Assert.Empty(RenditionFiles.MetadataBlocks(file.Bytes.ToArray(), format.ContractName()));
            }
        }
    }

    [Fact]
    public async Task MetadataAndTheIccProfileAreDroppedAndOrientationApplied_FR8_1()
    {
        var profile = await File.ReadAllBytesAsync(RepositoryFiles.PathOf("Images.Tests", "Native", "TestData", "display-p3.icc"));
        var jpeg = RenditionFiles.JpegWithMetadata(TestImages.Jpeg(800, 400, seed: 82), profile);

        var set = await Processor.CreateRenditionsAsync(new MemoryStream(jpeg), ImageFormat.Jpeg, Sizes, CancellationToken.None);

        Assert.Equal("kept", set.Colour); // ImageSharp 2.1 cannot convert it; the pixels stay as stored
        Assert.Equal((128, 256), (set.Renditions[0].Width, set.Renditions[0].Height)); // orientation 6
        foreach (var rendition in set.Renditions)
        {
            Assert.False(rendition.Files.ContainsKey(RenditionFormat.Png));
            foreach (var (format, file) in rendition.Files)
            {
                var blocks = RenditionFiles.MetadataBlocks(file.Bytes.ToArray(), format.ContractName());
                Assert.True(blocks.Count == 0, $"{format}: {string.Join(", ", blocks)}");
            }
        }
    }
}
