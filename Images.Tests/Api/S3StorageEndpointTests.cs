using System.Net;
using System.Security.Cryptography;
using Images.Infrastructure.Storage.S3;
using Images.Tests.Support;
using Xunit.Abstractions;
using static Images.Tests.Support.ApiClientExtensions;

namespace Images.Tests.Api;

/// <summary>The Api on the S3 store with presigned downloads (in-process processing).</summary>
public sealed class PresignedApiFixture : ApiFixture
{
    private string _staging = string.Empty;

    public S3TestStore S3 { get; private set; } = null!;

    protected override IDictionary<string, string?> Settings
    {
        get
        {
            var settings = new Dictionary<string, string?>(S3.Settings(_staging).Select(p => KeyValuePair.Create(p.Key, (string?)p.Value)))
            {
                ["IMG_S3_PRESIGNED_DOWNLOADS"] = "true",
            };
            return settings;
        }
    }

    public override async Task InitializeAsync()
    {
        S3 = await S3TestStore.StartAsync();
        _staging = S3.NewStagingDirectory();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await S3.DisposeAsync();
    }
}

/// <summary>FR-3.2/FR-3.3 on S3 through the HTTP pipeline, and NFR-3: uploads to S3 never hold the body in memory.</summary>
public class S3StorageEndpointTests(PresignedApiFixture api, ITestOutputHelper output) : IClassFixture<PresignedApiFixture>
{
    [Fact]
    public async Task WithPresignedDownloadsTheApiRedirectsToTheStoreForOriginalsAndThumbnails_FR3_2_FR3_3()
    {
        var bytes = TestImages.Png(120, 80, seed: 9100);
        var id = (await api.Client.UploadAsync(bytes, "image/png")).GetProperty("id").GetString()!;
        await api.Client.WaitForStatusAsync(id, TimeSpan.FromSeconds(30), "completed");
        using var direct = new HttpClient();
        using var noRedirects = api.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using (var response = await noRedirects.GetAsync($"/api/v1/images/{id}/download"))
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            var location = response.Headers.Location!;
            Assert.StartsWith(api.S3.Endpoint!, location.AbsoluteUri, StringComparison.Ordinal);
            Assert.Equal(bytes, await direct.GetByteArrayAsync(location));
        }

        using (var response = await noRedirects.GetAsync($"/api/v1/images/{id}/download?thumbnail=true"))
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            using var thumbnail = await direct.GetAsync(response.Headers.Location);
            Assert.Equal("image/jpeg", thumbnail.Content.Headers.ContentType?.MediaType);
            Assert.Equal([0xFF, 0xD8], (await thumbnail.Content.ReadAsByteArrayAsync())[..2]);
        }

        // No thumbnail yet is still the Api's clear 404, not a redirect to a missing object.
        await api.ExecuteAsync($"UPDATE images SET thumbnail_available = false WHERE id = '{id}'");
        using (var response = await noRedirects.GetAsync($"/api/v1/images/{id}/download?thumbnail=true"))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [Fact]
    public async Task AFortyMegabyteUploadGoesToS3WithoutTheBodyInMemory_NFR3()
    {
        var staging = api.S3.NewStagingDirectory();
        var environment = api.S3.Settings(staging);
        environment["ConnectionStrings__imagesdb"] = api.ConnectionString;
        environment["IMG_STORAGE_BASE_DIR"] = staging;
        environment["IMG_MAX_UPLOAD_BYTES"] = (48L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["Logging__LogLevel__Default"] = "Warning";
        await using var process = await ServiceProcess.StartApiAsync(environment, TimeSpan.FromSeconds(60));
        using var client = new HttpClient { BaseAddress = process.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };

        // A PNG signature and 40 MiB of noise: accepted by its magic bytes, then failed by the decoder.
        var body = new byte[40 << 20];
        RandomNumberGenerator.Fill(body);
        TestImages.Png(8, 8).AsSpan(0, 16).CopyTo(body);
        await client.UploadAsync(TestImages.Png(32, 32, seed: 9200), "image/png"); // warm up every path once
        await Task.Delay(500);
        process.ResetPeakMemory();
        var before = process.PeakMemoryBytes();

        var started = System.Diagnostics.Stopwatch.StartNew();
        var image = await client.UploadAsync(body, "image/png");
        var uploaded = started.Elapsed;
        await client.WaitForStatusAsync(image.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60), "failed", "completed");
        var growth = process.PeakMemoryBytes() - before;

        output.WriteLine($"40 MiB upload to S3 (3 parts of 16 MiB) in {uploaded.TotalSeconds:F2} s; the Api's peak RSS grew by {growth / (1024 * 1024)} MiB while it staged, uploaded, and then fetched and decoded it");
        Assert.True(growth < (24L << 20), $"peak RSS grew by {growth / (1024 * 1024)} MiB for a 40 MiB body");
        Assert.Contains(await api.S3.KeysAsync(), k => k.EndsWith(Convert.ToHexStringLower(SHA256.HashData(body)), StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(staging, "*", SearchOption.AllDirectories));
    }
}
