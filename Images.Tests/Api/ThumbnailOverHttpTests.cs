using Images.Tests.Support;

namespace Images.Tests.Api;

/// <summary>An Api whose thumbnails are at most 100 px, on the native path or forced onto the managed one.</summary>
public abstract class ThumbnailFixture(bool native) : ApiFixture
{
    public const int MaxSize = 100;

    /// <summary>How /health names the processor this Api must run.</summary>
    public string Processor { get; } = native ? "native (libimages_native)" : "managed (ImageSharp)";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["IMG_THUMBNAIL_MAX_SIZE"] = MaxSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["IMG_NATIVE_PROCESSING"] = native ? "true" : "false",
    };
}

public sealed class NativeThumbnailFixture() : ThumbnailFixture(native: true);

public sealed class ManagedThumbnailFixture() : ThumbnailFixture(native: false);

/// <summary>
/// FR-2.1 over HTTP, through upload, processing and the thumbnail download of the real pipeline,
/// on each processing path: EXIF orientation applied, IMG_THUMBNAIL_MAX_SIZE honoured, never upscaled.
/// </summary>
public abstract class ThumbnailOverHttpTests(ThumbnailFixture api)
{
    [Fact]
    public async Task HealthNamesTheProcessorThisApiRuns_NFR4()
    {
        var health = await api.Client.GetJsonAsync("/health");
        Assert.StartsWith(api.Processor, health.GetProperty("details").GetProperty("image-processor").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Each orientation as a JPEG's EXIF tag and as a TIFF's tag 274 (ImageSharp 2.1 keeps the latter where AutoOrient does not look).</summary>
    public static TheoryData<string, ushort, string> OrientedUploads
    {
        get
        {
            var data = new TheoryData<string, ushort, string>();
            foreach (var type in new[] { "image/jpeg", "image/tiff" })
            {
                foreach (var row in TestImages.RedQuadrantByOrientation)
                {
                    data.Add(type, (ushort)row[0], (string)row[1]);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(OrientedUploads))]
    public async Task TheOrientationIsAppliedToTheThumbnail_FR2_1(string contentType, ushort orientation, string redQuadrant)
    {
        // Stored 800 x 400 with the red quadrant top-left; each orientation moves it somewhere else.
        var bytes = contentType == "image/jpeg" ? TestImages.JpegWithRedCorner(800, 400, orientation) : TiffFiles.RedCorner(800, 400, orientation);
        var (image, thumbnail) = await ProcessAsync(bytes, contentType);

        // The resource gives the size as stored, on both paths (as ImageSharpImageProcessorTests does).
        Assert.Equal((800, 400), (image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32()));
        Assert.Equal(orientation >= 5 ? (50, 100) : (100, 50), (thumbnail.Width, thumbnail.Height));
        Assert.Equal(redQuadrant, TestImages.RedQuadrant(thumbnail));
    }

    [Theory]
    [InlineData("image/jpeg")]
    [InlineData("image/png")]
    [InlineData("image/webp")]
    [InlineData("image/tiff")]
    public async Task TheLongestSideIsImgThumbnailMaxSizeAndSmallImagesAreNeverUpscaled_FR2_1(string contentType)
    {
        var (wide, wideThumbnail) = await ProcessAsync(Make(contentType, 800, 400, seed: 61), contentType);
        var (tall, tallThumbnail) = await ProcessAsync(Make(contentType, 300, 600, seed: 62), contentType);
        var (small, smallThumbnail) = await ProcessAsync(Make(contentType, 60, 40, seed: 63), contentType);

        Assert.Equal((800, 400), (wide.GetProperty("width").GetInt32(), wide.GetProperty("height").GetInt32()));
        Assert.Equal((100, 50), (wideThumbnail.Width, wideThumbnail.Height));
        Assert.Equal((300, 600), (tall.GetProperty("width").GetInt32(), tall.GetProperty("height").GetInt32()));
        Assert.Equal((50, 100), (tallThumbnail.Width, tallThumbnail.Height));
        Assert.Equal((60, 40), (small.GetProperty("width").GetInt32(), small.GetProperty("height").GetInt32()));
        Assert.Equal((60, 40), (smallThumbnail.Width, smallThumbnail.Height));
    }

    private static byte[] Make(string contentType, int width, int height, int seed) => contentType switch
    {
        "image/jpeg" => TestImages.Jpeg(width, height, seed: seed),
        "image/png" => TestImages.Png(width, height, seed: seed),
        "image/webp" => TestImages.Webp(width, height, seed: seed),
        _ => TestImages.Tiff(width, height, seed: seed),
    };

    /// <summary>Uploads, waits for the image to complete and returns its resource and its decoded thumbnail.</summary>
    private async Task<(System.Text.Json.JsonElement Image, SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgba32> Thumbnail)> ProcessAsync(byte[] bytes, string contentType)
    {
        var id = (await api.Client.UploadAsync(bytes, contentType)).GetProperty("id").GetString()!;
        var image = await api.Client.WaitForStatusAsync(id, TimeSpan.FromSeconds(30), "completed", "failed");
        Assert.True(image.GetProperty("status").GetString() == "completed", image.ToString());
        using var response = await api.Client.GetAsync($"/api/v1/images/{id}/download?thumbnail=true");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        return (image, TestImages.Decode(await response.Content.ReadAsByteArrayAsync()));
    }
}

public sealed class NativeThumbnailOverHttpTests(NativeThumbnailFixture api) : ThumbnailOverHttpTests(api), IClassFixture<NativeThumbnailFixture>;

public sealed class ManagedThumbnailOverHttpTests(ManagedThumbnailFixture api) : ThumbnailOverHttpTests(api), IClassFixture<ManagedThumbnailFixture>;
