using System.Net;
using System.Text.Json;
using Images.Tests.Support;
using Xunit.Abstractions;

namespace Images.Tests.Api;

/// <summary>The Api with IMG_EXPOSE_GPS=true.</summary>
public sealed class ExposeGpsApiFixture : ApiFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["IMG_EXPOSE_GPS"] = "true" };
}

/// <summary>
/// FR-9.1 to FR-9.3 through the real HTTP pipeline and the real processing path (upload, in-process
/// processing on the native library, PostgreSQL): the resource's placeholder, dominant colour,
/// perceptual hash and EXIF (GPS hidden by default); GET .../similar finds vips-made copies of a real
/// photo (resized, recompressed, re-encoded as WebP, cropped) nearest first and not unrelated
/// photos; its 404 and 422 problems; hostile EXIF blocks never fail the request or the process.
/// </summary>
public sealed class ImageInsightEndpointTests(ApiFixture api, DebianPhotos photos, CameraExifSamples exif, ITestOutputHelper output)
    : IClassFixture<ApiFixture>, IClassFixture<DebianPhotos>, IClassFixture<CameraExifSamples>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private async Task<JsonElement> ProcessedAsync(byte[] bytes, string contentType, string expected = "completed")
    {
        var id = (await api.Client.UploadAsync(bytes, contentType)).GetProperty("id").GetString()!;
        var image = await api.Client.WaitForStatusAsync(id, Timeout, "completed", "failed");
        Assert.True(image.GetProperty("status").GetString() == expected, image.ToString());
        return image;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task VipsAsync(params string[] arguments)
    {
        var vips = RepositoryFiles.FindOnPath("vips") ?? throw new InvalidOperationException("The vips command line is needed (apt-get install libvips-tools).");
        var result = await RepositoryFiles.RunAsync(vips, arguments, TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, $"vips {string.Join(' ', arguments)}: {result.Error}");
    }

    [Fact]
    public async Task SimilarFindsTheCopiesOfAPhotoNearestFirstAndNotUnrelatedPhotos_FR9_2()
    {
        var jpegs = photos.Take(".jpg", 5);
        var original = jpegs[0];
        var scratch = Directory.CreateTempSubdirectory("insight-api-");
        try
        {
            // A 1600 px original keeps the test quick; its copies are made from it as a user would.
            var source = Path.Combine(scratch.FullName, "original.jpg");
            await VipsAsync("thumbnail", original, source, "1600");
            var info = SixLabors.ImageSharp.Image.Identify(source);
            var copies = new Dictionary<string, (string Path, string Type)>
            {
                ["resized"] = (Path.Combine(scratch.FullName, "half.jpg"), "image/jpeg"),
                ["recompressed"] = (Path.Combine(scratch.FullName, "q50.jpg"), "image/jpeg"),
                ["webp"] = (Path.Combine(scratch.FullName, "copy.webp"), "image/webp"),
                ["cropped"] = (Path.Combine(scratch.FullName, "crop.jpg"), "image/jpeg"),
            };
            await VipsAsync("resize", source, copies["resized"].Path, "0.5");
            await VipsAsync("copy", source, copies["recompressed"].Path + "[Q=50]");
            await VipsAsync("copy", source, copies["webp"].Path + "[Q=75]");
            var (w, h) = (info.Width, info.Height);
            await VipsAsync("crop", source, copies["cropped"].Path, $"{w / 100}", $"{h / 100}", $"{w - 2 * (w / 100)}", $"{h - 2 * (h / 100)}");

            var first = await ProcessedAsync(await File.ReadAllBytesAsync(source), "image/jpeg");
            var id = first.GetProperty("id").GetString()!;
            var copyIds = new Dictionary<string, string>();
            foreach (var (kind, (path, type)) in copies)
            {
                copyIds[(await ProcessedAsync(await File.ReadAllBytesAsync(path), type)).GetProperty("id").GetString()!] = kind;
            }

            var unrelated = new List<string>();
            foreach (var other in jpegs.Skip(1).Take(3))
            {
                var small = Path.Combine(scratch.FullName, Path.GetFileName(other));
                await VipsAsync("thumbnail", other, small, "1600");
                unrelated.Add((await ProcessedAsync(await File.ReadAllBytesAsync(small), "image/jpeg")).GetProperty("id").GetString()!);
            }

            var similar = await api.Client.GetJsonAsync($"/api/v1/images/{id}/similar");
            output.WriteLine(similar.ToString());
            var items = similar.GetProperty("items").EnumerateArray().ToList();
            var found = items.Select(i => (Id: i.GetProperty("id").GetString()!, Distance: i.GetProperty("distance").GetInt32())).ToList();
            Assert.Equal(copyIds.Keys.Order(), found.Select(f => f.Id).Order());
            Assert.DoesNotContain(id, found.Select(f => f.Id));
            Assert.True(found.All(f => f.Distance <= 8));
            Assert.Equal(found.Select(f => f.Distance).Order(), found.Select(f => f.Distance));
            Assert.DoesNotContain(found, f => unrelated.Contains(f.Id));
            Assert.All(items, i => Assert.Equal("completed", i.GetProperty("status").GetString()));
            Assert.All(items, i => Assert.Matches("^[0-9a-f]{16}$", i.GetProperty("phash").GetString()));

            // The widest search still leaves the unrelated photos out; limit cuts the list.
            var wide = await api.Client.GetJsonAsync($"/api/v1/images/{id}/similar?max_distance=16&limit=100");
            Assert.DoesNotContain(wide.GetProperty("items").EnumerateArray(), i => unrelated.Contains(i.GetProperty("id").GetString()!));
            var two = await api.Client.GetJsonAsync($"/api/v1/images/{id}/similar?limit=2");
            Assert.Equal(found.Take(2).Select(f => f.Id), two.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));

            // From a copy, the original is found too.
            var fromCopy = await api.Client.GetJsonAsync($"/api/v1/images/{copyIds.First(c => c.Value == "webp").Key}/similar");
            Assert.Contains(id, fromCopy.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task TheResourceCarriesPlaceholderDominantColourPhashAndExifWithoutGps_FR9_1_FR9_3()
    {
        var image = await ProcessedAsync(await File.ReadAllBytesAsync(Path.Combine(exif.ExifFolder, "sample1.jpg")), "image/jpeg");
        output.WriteLine(image.ToString());
        var placeholder = Convert.FromBase64String(image.GetProperty("placeholder").GetString()!);
        Assert.InRange(ThumbHashDecoder.AspectRatio(placeholder), 500 / 375.0 / 1.25, 500 / 375.0 * 1.25);
        Assert.Matches("^#[0-9a-f]{6}$", image.GetProperty("dominant_color").GetString());
        Assert.Matches("^[0-9a-f]{16}$", image.GetProperty("phash").GetString());
        var camera = image.GetProperty("exif");
        Assert.Equal("NIKON CORPORATION", camera.GetProperty("make").GetString());
        Assert.Equal("NIKON D2H", camera.GetProperty("model").GetString());
        Assert.Equal("2003-11-23T18:07:37", camera.GetProperty("taken_at").GetString());
        Assert.Equal(0.008, camera.GetProperty("exposure_time").GetDouble());
        Assert.Equal(4.5, camera.GetProperty("f_number").GetDouble());
        Assert.Equal(JsonValueKind.Null, camera.GetProperty("gps").ValueKind);

        // The stored position is not in any answer: the single resource, the list, similar.
        var id = image.GetProperty("id").GetString()!;
        var again = await api.Client.GetJsonAsync($"/api/v1/images/{id}");
        Assert.Equal(JsonValueKind.Null, again.GetProperty("exif").GetProperty("gps").ValueKind);
        var listed = await api.Client.GetAsync("/api/v1/images/?limit=100");
        Assert.DoesNotContain("\"lat\"", await listed.Content.ReadAsStringAsync());

        // An image without EXIF has "exif": null.
        var plain = await ProcessedAsync(TestImages.Png(320, 200, seed: 9), "image/png");
        Assert.Equal(JsonValueKind.Null, plain.GetProperty("exif").ValueKind);
        Assert.Matches("^[0-9a-f]{16}$", plain.GetProperty("phash").GetString());
    }

    [Theory]
    [InlineData("max_distance=17", "max_distance")]
    [InlineData("max_distance=-1", "max_distance")]
    [InlineData("max_distance=eight", "max_distance")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    public async Task OutOfRangeParametersAre422_FR9_2(string query, string field)
    {
        var image = await ProcessedAsync(TestImages.Jpeg(64, 48, seed: 31), "image/jpeg");
        var problem = await ProblemAsync(await api.Client.GetAsync($"/api/v1/images/{image.GetProperty("id").GetString()}/similar?{query}"), HttpStatusCode.UnprocessableEntity);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task UnknownImagesAndImagesWithoutAHashAre404ProblemsSayingSo_FR9_2()
    {
        var unknown = await ProblemAsync(await api.Client.GetAsync($"/api/v1/images/{Guid.NewGuid()}/similar"), HttpStatusCode.NotFound);
        Assert.Contains("not found", unknown.GetProperty("detail").GetString());

        var failed = await ProcessedAsync(TestImages.TruncatedJpeg(), "image/jpeg", expected: "failed");
        var problem = await ProblemAsync(await api.Client.GetAsync($"/api/v1/images/{failed.GetProperty("id").GetString()}/similar"), HttpStatusCode.NotFound);
        Assert.Contains("no perceptual hash yet", problem.GetProperty("detail").GetString());

        await ProblemAsync(await api.Client.GetAsync("/api/v1/images/not-a-uuid/similar"), HttpStatusCode.UnprocessableEntity);
    }

    [Theory]
    [InlineData("huge_tag_exif.jpg")]
    [InlineData("infinite_loop_exif.jpg")]
    [InlineData("max_uint32_exif.jpg")]
    public async Task HostileExifBlocksEndInAnOutcomeNeverA500_NFR7(string name)
    {
        var bytes = await File.ReadAllBytesAsync(exif.Corrupt(name));
        var upload = await api.Client.PostAsync("/api/v1/images/", ApiClientExtensions.UploadForm(bytes, "image/jpeg"));
        Assert.True(upload.StatusCode is HttpStatusCode.Created or HttpStatusCode.UnsupportedMediaType, await upload.Content.ReadAsStringAsync());
        if (upload.StatusCode == HttpStatusCode.Created)
        {
            var id = JsonDocument.Parse(await upload.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
            var image = await api.Client.WaitForStatusAsync(id, Timeout, "completed", "failed");
            output.WriteLine(image.ToString());
        }

        var health = await api.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}

/// <summary>FR-9.3: with IMG_EXPOSE_GPS=true the resource shows the EXIF position.</summary>
public sealed class ExifGpsExposureTests(ExposeGpsApiFixture api, CameraExifSamples exif) : IClassFixture<ExposeGpsApiFixture>, IClassFixture<CameraExifSamples>
{
    [Fact]
    public async Task ThePositionIsShownWhenExposeGpsIsTrue_FR9_3()
    {
        var id = (await api.Client.UploadAsync(await File.ReadAllBytesAsync(Path.Combine(exif.ExifFolder, "sample1.jpg")), "image/jpeg")).GetProperty("id").GetString()!;
        var image = await api.Client.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "completed", "failed");
        var gps = image.GetProperty("exif").GetProperty("gps");
        Assert.Equal(39.9155556, gps.GetProperty("lat").GetDouble(), 6);
        Assert.Equal(116.3908333, gps.GetProperty("lon").GetDouble(), 6);
    }
}
