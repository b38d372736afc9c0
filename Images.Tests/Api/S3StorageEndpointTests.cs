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
    public async Task WithPresignedDownloadsConditionalRequestsAreAnsweredByTheApiAndRenditionsStream_FR8_4()
    {
        var bytes = TestImages.Png(96, 64, seed: 9150);
        var id = (await api.Client.UploadAsync(bytes, "image/png")).GetProperty("id").GetString()!;
        await api.Client.WaitForStatusAsync(id, TimeSpan.FromSeconds(30), "completed");
        var hash = $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))}\"";
        using var noRedirects = api.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        // Unconditional: a redirect no cache may keep (the presigned address expires).
        using (var response = await noRedirects.GetAsync($"/api/v1/images/{id}/download"))
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("private, no-store", Raw(response, "Cache-Control"));
        }

        // The original's ETag is its content hash: 304 and 412 without the store, and no redirect.
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/images/{id}/download"))
        {
            request.Headers.IfNoneMatch.ParseAdd(hash);
            using var response = await noRedirects.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
            Assert.Equal(hash, response.Headers.ETag!.Tag);
            Assert.Equal("private, no-cache", Raw(response, "Cache-Control"));
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/images/{id}/download"))
        {
            request.Headers.IfMatch.ParseAdd("\"0000\"");
            using var response = await noRedirects.SendAsync(request);
            Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        }

        // A condition that holds (the store would judge it by its own ETag): streamed here, ranges too.
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/images/{id}/download"))
        {
            request.Headers.IfMatch.ParseAdd(hash);
            request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 9);
            using var response = await noRedirects.SendAsync(request);
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal(bytes[..10], await response.Content.ReadAsByteArrayAsync());
        }

        // A thumbnail's ETag needs its bytes: a conditional request streams it (and may get 304).
        string thumbnailTag;
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/images/{id}/download?thumbnail=true"))
        {
            request.Headers.IfNoneMatch.ParseAdd("\"other\"");
            using var response = await noRedirects.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var thumbnail = await response.Content.ReadAsByteArrayAsync();
            thumbnailTag = response.Headers.ETag!.Tag;
            Assert.Equal($"\"{Convert.ToHexStringLower(SHA256.HashData(thumbnail))}\"", thumbnailTag);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/images/{id}/download?thumbnail=true"))
        {
            request.Headers.IfNoneMatch.ParseAdd(thumbnailTag);
            using var response = await noRedirects.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        }

        // Renditions are never redirected: their URL is cached for a year and varies on Accept.
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/images/{id}/renditions/thumbnail"))
        {
            request.Headers.Accept.ParseAdd("image/webp");
            using var response = await noRedirects.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/webp", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("public, max-age=31536000, immutable", Raw(response, "Cache-Control"));
            Assert.Contains("Accept", response.Headers.Vary);
            var webp = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal($"\"{Convert.ToHexStringLower(SHA256.HashData(webp))}\"", response.Headers.ETag!.Tag);
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

    /// <summary>A response header as it was sent (HttpClient's parsed forms reorder Cache-Control).</summary>
    private static string? Raw(HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.TryGetValues(name, out var values) ? values.ToString() : null;
}
