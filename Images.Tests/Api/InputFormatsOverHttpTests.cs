using System.Net;
using Images.Native;
using Images.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Images.Tests.Api;

/// <summary>
/// FR-8.6 through the real HTTP pipeline: HEIC, AVIF (still and sequence) and animated GIF uploads,
/// sniffed from their bytes, end `completed` with their `format` and `frames`, processed by the
/// native library, with renditions that are served; /health says which input decoders loaded.
/// </summary>
public class InputFormatsOverHttpTests(ApiFixture api, InputFormatFiles files) : IClassFixture<ApiFixture>, IClassFixture<InputFormatFiles>
{
    [Theory]
    [InlineData("photo.heic", "image/heic", "HEIC", 1, 1024)]
    [InlineData("photo.avif", "image/avif", "AVIF", 1, 1024)]
    [InlineData("sequence.avif", "image/avif", "AVIF", 3, 64)]
    [InlineData("animated.gif", "image/gif", "GIF", 3, 96)]
    [InlineData("logo.heic", "application/octet-stream", "HEIC", 1, 563)]
    public async Task UploadsCompleteWithFormatFramesAndServedRenditions_FR8_6(string name, string declared, string format, int frames, int width)
    {
        Assert.True(NativeThumbnailer.IsAvailable, NativeThumbnailer.Status);
        var uploaded = await api.Client.UploadAsync(await File.ReadAllBytesAsync(files.Path(name)), declared);
        Assert.Equal(format, uploaded.GetProperty("format").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, JsonValueKind(uploaded, "frames")); // known once processed
        var id = uploaded.GetProperty("id").GetString()!;

        var image = await api.Client.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "completed", "failed");
        Assert.True(image.GetProperty("status").GetString() == "completed", image.GetProperty("error").ToString());
        Assert.Equal(format, image.GetProperty("format").GetString());
        Assert.Equal(frames, image.GetProperty("frames").GetInt32());
        if (name != "logo.heic")
        {
            Assert.Equal(width, image.GetProperty("width").GetInt32());
        }

        var thumbnail = image.GetProperty("renditions")[0];
        Assert.Equal("thumbnail", thumbnail.GetProperty("name").GetString());
        foreach (var f in thumbnail.GetProperty("formats").EnumerateArray().Select(f => f.GetString()))
        {
            using var response = await api.Client.GetAsync($"/api/v1/images/{id}/renditions/thumbnail?format={f}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"image/{f}", response.Content.Headers.ContentType?.MediaType);
            Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 0);
        }

        using var jpeg = await api.Client.GetAsync($"/api/v1/images/{id}/download?thumbnail=true");
        Assert.Equal(HttpStatusCode.OK, jpeg.StatusCode);
        if (frames > 1)
        {
            // The first frame, red, is what the thumbnail shows.
            using var pixels = Image.Load<Rgb24>(await jpeg.Content.ReadAsByteArrayAsync());
            var centre = pixels[pixels.Width / 2, pixels.Height / 2];
            Assert.True(centre.R > 180 && centre.G < 80 && centre.B < 80, $"{name}: {centre}");
        }

        using var original = await api.Client.GetAsync($"/api/v1/images/{id}/download");
        Assert.Equal(declared == "application/octet-stream" ? "image/heic" : declared, original.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task HealthSaysWhichInputDecodersLoaded_FR8_6()
    {
        var health = await api.Client.GetJsonAsync("/health");
        var detail = health.GetProperty("details").GetProperty("image-processor").GetString()!;
        Assert.Contains("GIF, HEIC and AVIF", detail, StringComparison.Ordinal);
        Assert.Contains("HEIC input: libheif 1.15", detail, StringComparison.Ordinal);
        Assert.Contains("AVIF input: libavif 0.11", detail, StringComparison.Ordinal);
    }

    private static System.Text.Json.JsonValueKind JsonValueKind(System.Text.Json.JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.ValueKind : System.Text.Json.JsonValueKind.Undefined;
}

/// <summary>
/// FR-8.6 on the managed path (IMG_NATIVE_PROCESSING=false, as a machine without the native
/// library): ImageSharp takes an animated GIF from its first frame, its frames counted by walking
/// the container; HEIC and AVIF, which ImageSharp 2.1 cannot read, are failed with a reason that
/// names the missing library, and /health says so.
/// </summary>
public sealed class InputFormatsOnTheManagedPathTests(NoAvifApiFixture api, InputFormatFiles files) : IClassFixture<NoAvifApiFixture>, IClassFixture<InputFormatFiles>
{
    [Fact]
    public async Task AnAnimatedGifCompletesFromItsFirstFrame_FR8_6()
    {
        var id = (await api.Client.UploadAsync(await File.ReadAllBytesAsync(files.AnimatedGif), "image/gif")).GetProperty("id").GetString()!;
        var image = await api.Client.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "completed", "failed");
        Assert.True(image.GetProperty("status").GetString() == "completed", image.GetProperty("error").ToString());
        Assert.Equal(("GIF", 3, 96, 64), (image.GetProperty("format").GetString(), image.GetProperty("frames").GetInt32(),
            image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32()));
        using var jpeg = await api.Client.GetAsync($"/api/v1/images/{id}/download?thumbnail=true");
        using var pixels = Image.Load<Rgb24>(await jpeg.Content.ReadAsByteArrayAsync());
        var centre = pixels[pixels.Width / 2, pixels.Height / 2];
        Assert.True(centre.R > 180 && centre.G < 80 && centre.B < 80, $"the first frame is red: {centre}");

        var transparent = (await api.Client.UploadAsync(await File.ReadAllBytesAsync(files.TransparentGif), "image/gif")).GetProperty("id").GetString()!;
        var alpha = await api.Client.WaitForStatusAsync(transparent, TimeSpan.FromSeconds(60), "completed", "failed");
        Assert.True(alpha.GetProperty("has_alpha").GetBoolean());
        Assert.Contains("png", alpha.GetProperty("renditions")[0].GetProperty("formats").EnumerateArray().Select(f => f.GetString()));
    }

    [Theory]
    [InlineData("photo.heic", "image/heic", "HEIC decoding is not available on this machine (libheif)")]
    [InlineData("photo.avif", "image/avif", "AVIF decoding is not available on this machine (libavif)")]
    public async Task HeicAndAvifFailWithAReasonNamingTheMissingLibrary_FR8_6(string name, string declared, string reason)
    {
        var id = (await api.Client.UploadAsync(await File.ReadAllBytesAsync(files.Path(name)), declared)).GetProperty("id").GetString()!;
        var image = await api.Client.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "completed", "failed");
        Assert.Equal("failed", image.GetProperty("status").GetString());
        Assert.Contains(reason, image.GetProperty("error").GetString(), StringComparison.Ordinal);

        var health = await api.Client.GetJsonAsync("/health");
        Assert.Contains("HEIC input: not available", health.GetProperty("details").GetProperty("image-processor").GetString(), StringComparison.Ordinal);
    }
}
