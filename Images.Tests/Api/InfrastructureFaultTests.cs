using System.Net;
using System.Text.Json;
using Images.Tests.Support;
using static Images.Tests.Support.ApiClientExtensions;

namespace Images.Tests.Api;

/// <summary>
/// NFR-9 through the real HTTP pipeline: an infrastructure fault is never a 500 and never fails an
/// image. The database away: 503 with Retry-After; the store full: 507; nothing left behind.
/// </summary>
public class InfrastructureFaultTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task WithTheDatabaseAwayUploadsAndReadsAre503WithRetryAfter_NFR9()
    {
        await using var factory = new ApiFactory(database, new Dictionary<string, string?>
        {
            // Nothing listens there: every connection is refused.
            ["ConnectionStrings:imagesdb"] = $"Host=127.0.0.1;Port={Ports.Free()};Database=images;Username=images;Password=x;Timeout=3",
        });
        using var client = factory.CreateClient();

        foreach (var request in new Func<Task<HttpResponseMessage>>[]
                 {
                     () => client.PostAsync("/api/v1/images/", UploadForm(TestImages.Png(32, 32), "image/png")),
                     () => client.GetAsync($"/api/v1/images/{Guid.NewGuid()}"),
                     () => client.GetAsync("/api/v1/images/?limit=5"),
                     () => client.PostAsync($"/api/v1/images/{Guid.NewGuid()}/process", null),
                     () => client.PostAsync("/api/v1/retention/sweep", null),
                 })
        {
            using var response = await request();
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{response.RequestMessage!.RequestUri}: {(int)response.StatusCode} {body}");
            Assert.Equal("5", response.Headers.RetryAfter!.ToString());
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            Assert.Contains("database is not available", JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(factory.StorageDirectory, "tmp")));
    }

    [RootFact]
    public async Task WithTheStoreFullAnUploadIs507AndLeavesNothing_NFR9()
    {
        using var disk = SmallDisk.Mount(kilobytes: 256);
        await using var factory = new ApiFactory(database, new Dictionary<string, string?> { ["IMG_STORAGE_BASE_DIR"] = disk.Path });
        using var client = factory.CreateClient();

        using var response = await client.PostAsync("/api/v1/images/", UploadForm(Noise(512 * 1024), "image/png"));

        Assert.Equal(HttpStatusCode.InsufficientStorage, response.StatusCode);
        Assert.Equal("5", response.Headers.RetryAfter!.ToString());
        Assert.Empty(Directory.GetFiles(Path.Combine(disk.Path, "tmp")));
        Assert.Equal(0, await database.ScalarAsync("SELECT count(*) FROM images WHERE size_bytes = 524288"));
    }

    [RootFact]
    public async Task ProcessingOnAFullDiskLeavesTheImagePendingAndCompletesOnceThereIsRoom_NFR9()
    {
        using var disk = SmallDisk.Mount(kilobytes: 512);
        await using var factory = new ApiFactory(database, new Dictionary<string, string?>
        {
            ["IMG_STORAGE_BASE_DIR"] = disk.Path,
            // Tasks wait in the outbox for a broker that is not there: nothing processes in the
            // background, so this test decides when processing runs.
            ["IMG_BROKER_ENABLED"] = "true",
            ["IMG_KAFKA_BOOTSTRAP_SERVERS"] = $"127.0.0.1:{Ports.Free()}",
        });
        using var client = factory.CreateClient();
        var id = (await client.UploadAsync(TestImages.Jpeg(800, 600), "image/jpeg")).GetProperty("id").GetString();

        disk.Fill();
        using (var full = await client.PostAsync($"/api/v1/images/{id}/process", null))
        {
            Assert.Equal(HttpStatusCode.InsufficientStorage, full.StatusCode);
        }

        var stored = await client.GetJsonAsync($"/api/v1/images/{id}");
        Assert.Equal("pending", stored.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, stored.GetProperty("error").ValueKind);

        disk.Free();
        var processed = await client.PostJsonAsync($"/api/v1/images/{id}/process");
        Assert.Equal("completed", processed.GetProperty("status").GetString());
        Assert.True(processed.GetProperty("thumbnail_available").GetBoolean());
    }

    /// <summary>A PNG signature and random bytes: passes the type check, then just fills the disk.</summary>
    private static byte[] Noise(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        TestImages.Png(1, 1).AsSpan(0, 16).CopyTo(bytes);
        return bytes;
    }
}
