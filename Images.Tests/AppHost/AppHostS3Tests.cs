using System.Diagnostics;
using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Images.Contracts;
using Images.Tests.Support;
using Xunit.Abstractions;

namespace Images.Tests.AppHost;

/// <summary>
/// FR-11.2 through the AppHost in local mode with <c>Images:Storage=s3</c>: the Api and two Worker
/// replicas take the S3 store from the AppHost's <c>ConnectionStrings:s3</c> (an s3rver here) and keep
/// nothing in the AppHost's data folder.
/// </summary>
[Collection(KafkaCollection.Name)]
public class AppHostS3Tests(ITestOutputHelper output)
{
    [Fact]
    public async Task LocalModeRunsTheServicesOnTheS3StoreItIsGiven_FR11_2()
    {
        await using var s3 = await S3TestStore.StartAsync(ownServer: true);
        var started = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await using var host = await LocalAppHost.StartAsync(
            "images-apphost-s3",
            [
                "--Images:Storage=s3",
                $"--ConnectionStrings:{ResourceNames.ObjectStore}=Endpoint={s3.Endpoint};Bucket={s3.Bucket};AccessKey={s3.AccessKey};SecretKey={s3.SecretKey};ForcePathStyle=true",
            ],
            cts.Token);
        var app = host.App;
        using var client = app.CreateHttpClient(ResourceNames.Api);
        var bytes = TestImages.Jpeg(640, 480, seed: 61);
        var first = (await client.UploadAsync(bytes, "image/jpeg")).GetProperty("id").GetString()!;
        var second = (await client.UploadAsync(bytes, "image/jpeg")).GetProperty("id").GetString()!;
        foreach (var id in new[] { first, second })
        {
            var done = await client.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(500), "completed", "failed");
            Assert.Equal("completed", done.GetProperty("status").GetString());
        }

        using var thumbnail = await ApiClientExtensions.SendHonouringRetryAfterAsync(client, () => new HttpRequestMessage(HttpMethod.Get, $"/api/v1/images/{second}/download?thumbnail=true"));
        Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);

        // Everything is in the bucket (the original once), nothing in the AppHost's folder.
        var keys = await s3.KeysAsync(prefix: string.Empty);
        Assert.Single(keys, k => k.StartsWith("originals/", StringComparison.Ordinal));
        Assert.Equal(2, keys.Count(k => k.StartsWith("thumbnails/", StringComparison.Ordinal)));
        Assert.False(Directory.Exists(Path.Combine(host.DataDirectory, "storage")), "the AppHost made a storage folder");
        output.WriteLine($"local mode on S3: two uploads completed {started.Elapsed.TotalSeconds:F1} s after the start");
    }
}
