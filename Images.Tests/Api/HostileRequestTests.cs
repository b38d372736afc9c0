using System.Net;
using System.Net.Http.Headers;
using Images.Tests.Support;
using static Images.Tests.Support.ApiClientExtensions;

namespace Images.Tests.Api;

/// <summary>NFR-8, FR-1.2: the body as a whole is bounded, at default settings, whatever its parts.</summary>
public class HostileRequestTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task AnImageFollowedByAHugeExtraPartIs413AndLeavesNoTemporaryFile_NFR8()
    {
        using var form = UploadForm(TestImages.Png(32, 32), "image/png");
        form.Add(Zeros(60 * MiB), "padding", "padding.bin");

        using var response = await api.Client.PostAsync("/api/v1/images/", form);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("IMG_MAX_UPLOAD_BYTES", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(TemporaryFiles());
        Assert.Empty(api.StoredOriginals());
    }

    [Fact]
    public async Task AHugePartBeforeTheFileIs413_NFR8()
    {
        using var form = new MultipartFormDataContent { { Zeros(60 * MiB), "padding", "padding.bin" } };
        var file = new ByteArrayContent(TestImages.Png(32, 32));
        file.Headers.ContentType = MediaTypeHeaderValue.Parse("image/png");
        form.Add(file, "file", "a.png");

        using var response = await api.Client.PostAsync("/api/v1/images/", form);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(TemporaryFiles());
    }

    [Fact]
    public async Task AFormOfManySmallPartsIs413_NFR8()
    {
        using var form = UploadForm(TestImages.Png(16, 16), "image/png");
        for (var i = 0; i < 40; i++)
        {
            form.Add(new StringContent("x"), $"field{i}");
        }

        using var response = await api.Client.PostAsync("/api/v1/images/", form);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("at most 32 parts", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(TemporaryFiles());
    }

    [Fact]
    public async Task AHugeTextFileIsStill415BeforeAnySizeCheck_FR1_3()
    {
        var text = new StreamContent(new GeneratedStream(60 * MiB, (byte)'a'));
        text.Headers.ContentType = MediaTypeHeaderValue.Parse("text/plain");
        using var form = new MultipartFormDataContent { { text, "file", "notes.txt" } };

        using var response = await api.Client.PostAsync("/api/v1/images/", form);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    private string[] TemporaryFiles() => Directory.GetFiles(Path.Combine(api.Factory.StorageDirectory, "tmp"));

    private static StreamContent Zeros(long length)
    {
        var content = new StreamContent(new GeneratedStream(length, 0));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/octet-stream");
        return content;
    }
}
