using Images.Native;
using Images.Tests.Support;

namespace Images.Tests.Api;

/// <summary>
/// NFR-4 through the real HTTP pipeline: JPEG, PNG, WebP and TIFF are processed by the native
/// library, as the metrics (and so the dashboards) record it. Without the native library built and
/// loadable this fails: the managed fallback cannot pass for the fast path unnoticed.
/// </summary>
[Collection(MetricsCollection.Name)]
public class ProcessorPathTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task EveryFormatGoesThroughTheNativeLibrary_NFR4()
    {
        Assert.True(NativeThumbnailer.IsAvailable, "libimages_native is not loadable: " + NativeThumbnailer.Status);
        var uploads = new (string Format, byte[] Bytes, string Type)[]
        {
            ("JPEG", TestImages.Jpeg(640, 480), "image/jpeg"),
            ("PNG", TestImages.Png(640, 480), "image/png"),
            ("WEBP", TestImages.Webp(640, 480), "image/webp"),
            ("TIFF", TestImages.Tiff(640, 480), "image/tiff"),
        };
        foreach (var (_, bytes, type) in uploads)
        {
            var id = (await api.Client.UploadAsync(bytes, type)).GetProperty("id").GetString()!;
            await api.Client.WaitForStatusAsync(id, TimeSpan.FromSeconds(30), "completed");
        }

        var metrics = string.Empty;
        await KafkaPipelineFixture.WaitUntilAsync(
            async () =>
            {
                metrics = await api.Client.GetStringAsync("/metrics");
                return uploads.All(u => PrometheusText.Sum(metrics, "image_processed_total", ("format", u.Format), ("status", "completed")) >= 1);
            },
            TimeSpan.FromSeconds(10),
            () => Task.FromResult(metrics));

        foreach (var (format, _, _) in uploads)
        {
            Assert.True(PrometheusText.Sum(metrics, "image_processed_total", ("format", format), ("engine", "native")) >= 1, $"{format} did not go through the native library");
            Assert.Equal(0, PrometheusText.Sum(metrics, "image_processed_total", ("format", format), ("engine", "managed")));
        }
    }
}

/// <summary>
/// Tests that read a host's /metrics in the test process run alone, after the parallel ones: every
/// host of the process registers the same instruments and OpenTelemetry's listener sees them all,
/// so another test class's host (a managed-path one, say) could answer for this one's series.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics of an in-process host (alone)";
}
