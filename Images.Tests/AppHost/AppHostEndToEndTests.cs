using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Images.Contracts;
using Images.Native;
using Images.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace Images.Tests.AppHost;

/// <summary>
/// The whole application through the AppHost in local mode (NFR-6): PostgreSQL from the machine's
/// binaries, the development broker, the migrations, the Api and two Worker replicas.
/// </summary>
[Collection(KafkaCollection.Name)]
public class AppHostEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TheWholeApplicationProcessesExpiresAndSweepsImages_NFR6_FR2_7_FR4()
    {
        var started = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await using var host = await LocalAppHost.StartAsync("images-apphost", [], cts.Token);
        var app = host.App;
        output.WriteLine($"healthy after {started.Elapsed.TotalSeconds:F1} s");

        using var client = app.CreateHttpClient(ResourceNames.Api);
        var uploads = new Dictionary<string, (byte[] Bytes, string Type, int Width, int Height)>
        {
            ["jpeg"] = (TestImages.Jpeg(1024, 768, seed: 51), "image/jpeg", 256, 192),
            ["png"] = (TestImages.Png(300, 600, alpha: true, seed: 52), "image/png", 128, 256),
            ["webp"] = (TestImages.Webp(512, 256, seed: 53), "image/webp", 256, 128),
            ["tiff"] = (TestImages.Tiff(200, 100, seed: 54), "image/tiff", 200, 100),
        };
        var ids = new Dictionary<string, string>();
        foreach (var (kind, upload) in uploads)
        {
            var image = await client.UploadAsync(upload.Bytes, upload.Type, ("tags", kind), ("ttl_hours", "1"));
            ids[kind] = image.GetProperty("id").GetString()!;
        }

        foreach (var (kind, id) in ids)
        {
            // The default read limit (60 a minute per client) applies here: poll gently, and
            // wait out a 429's Retry-After if the limit is reached all the same.
            var done = await client.WaitForStatusAsync(id, WaitTimeout, TimeSpan.FromMilliseconds(500), "completed", "failed");
            Assert.Equal("completed", done.GetProperty("status").GetString());
            using var thumbnail = await ApiClientExtensions.SendHonouringRetryAfterAsync(client, () => new HttpRequestMessage(HttpMethod.Get, $"/api/v1/images/{id}/download?thumbnail=true"));
            Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
            var bytes = await thumbnail.Content.ReadAsByteArrayAsync(cts.Token);
            using var decoded = TestImages.Decode(bytes);
            Assert.Equal((uploads[kind].Width, uploads[kind].Height), (decoded.Width, decoded.Height));
            if (kind != "tiff")
            {
                // NFR-4: the Workers ran the native library: its thumbnail, byte for byte.
                var native = NativeThumbnailer.CreateThumbnail(uploads[kind].Bytes, new NativeThumbnailRequest(256, 85, 100_000_000, 0, 0));
                Assert.True(native.Data.AsSpan().SequenceEqual(bytes), $"the {kind} thumbnail is not the native library's");
            }

            // FR-8.3: the Worker made the renditions; a browser asking for AVIF gets it.
            Assert.Contains("thumbnail", done.GetProperty("renditions").EnumerateArray().Select(r => r.GetProperty("name").GetString()));
            using var avif = await ApiClientExtensions.SendHonouringRetryAfterAsync(client, () => new HttpRequestMessage(HttpMethod.Get, $"/api/v1/images/{id}/renditions/thumbnail")
            {
                Headers = { { "Accept", "image/avif,image/webp,*/*;q=0.8" } },
            });
            Assert.Equal(HttpStatusCode.OK, avif.StatusCode);
            Assert.Equal("image/avif", avif.Content.Headers.ContentType?.MediaType);
        }

        var completed = await client.GetJsonAsync("/api/v1/images/?status=completed&limit=10");
        Assert.Equal(4, completed.GetProperty("total").GetInt64());
        Assert.Equal(0, (await client.GetJsonAsync("/api/v1/images/?status=failed")).GetProperty("total").GetInt64());

        // Expire one image: its expires_at moves into the past, as an hour passing would.
        await using (var db = new NpgsqlConnection(await app.GetConnectionStringAsync(ResourceNames.Database, cts.Token)))
        {
            await db.OpenAsync(cts.Token);
            await using var expire = new NpgsqlCommand($"UPDATE images SET expires_at = now() - interval '1 second' WHERE id = '{ids["webp"]}'", db);
            Assert.Equal(1, await expire.ExecuteNonQueryAsync(cts.Token));
        }

        var sweep = await client.PostJsonAsync("/api/v1/retention/sweep");
        Assert.Equal(1, sweep.GetProperty("deleted_count").GetInt32());
        Assert.Equal(0, sweep.GetProperty("errors").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/images/{ids["webp"]}", cts.Token)).StatusCode);
        Assert.Equal(3, (await client.GetJsonAsync("/api/v1/images/")).GetProperty("total").GetInt64());
        output.WriteLine($"whole scenario took {started.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task TheManifestListsEveryResource()
    {
        var path = Path.Combine(Path.GetTempPath(), "images-manifest-" + Guid.NewGuid().ToString("N")[..10] + ".json");
        var (exitCode, stdout, stderr) = await RepositoryFiles.RunAsync(
            "dotnet", [Path.Combine(AppContext.BaseDirectory, "Images.AppHost.dll"), "--publisher", "manifest", "--output-path", path], TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0, stdout + stderr);

        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(path));
        var resources = manifest.RootElement.GetProperty("resources");
        foreach (var name in new[] { ResourceNames.Postgres, ResourceNames.Database, ResourceNames.Kafka, ResourceNames.Migrations, ResourceNames.Api, ResourceNames.Worker })
        {
            Assert.True(resources.TryGetProperty(name, out _), $"{name} is missing from the manifest");
        }

        File.Delete(path);
    }
}
