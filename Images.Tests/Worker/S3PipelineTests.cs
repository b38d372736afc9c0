using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Images.Tests.Support;
using Xunit.Abstractions;
using static Images.Tests.Support.ApiClientExtensions;

namespace Images.Tests.Worker;

public sealed class S3ScaleOutFixture : S3PipelineFixture;

/// <summary>
/// FR-11.2: the Api and two Worker processes with nothing in common but PostgreSQL, Kafka and the
/// S3 endpoint (each its own folders): every upload completes, identical bytes are stored once,
/// originals and thumbnails come back through the Api (ranges included), and no process keeps a
/// blob, or a temporary file, on its own disk.
/// </summary>
[Collection(KafkaCollection.Name)]
public class S3ScaleOutTests(S3ScaleOutFixture pipeline, ITestOutputHelper output) : IClassFixture<S3ScaleOutFixture>
{
    [Fact]
    public async Task TheApiAndTwoWorkersShareOnlyTheDatabaseTheBrokerAndTheStore_FR11_2()
    {
        await using var first = await pipeline.StartWorkerAsync();
        await using var second = await pipeline.StartWorkerAsync();

        var started = Stopwatch.StartNew();
        var duplicate = TestImages.Jpeg(200, 150, seed: 7000);
        var uploads = Enumerable.Range(0, 24).Select(i => (Bytes: i % 2 == 0 ? TestImages.Png(64 + i, 48, seed: 7100 + i) : TestImages.Jpeg(320, 240, seed: 7100 + i), Type: i % 2 == 0 ? "image/png" : "image/jpeg"))
            .Concat(Enumerable.Repeat((Bytes: duplicate, Type: "image/jpeg"), 6))
            .ToList();
        var ids = new ConcurrentBag<string>();
        using (var gate = new SemaphoreSlim(6))
        {
            await Task.WhenAll(uploads.Select(async upload =>
            {
                await gate.WaitAsync();
                try
                {
                    ids.Add((await pipeline.Client.UploadAsync(upload.Bytes, upload.Type)).GetProperty("id").GetString()!);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        await KafkaPipelineFixture.WaitUntilAsync(async () => await pipeline.CountAsync("completed") == uploads.Count, TimeSpan.FromSeconds(120), pipeline.StatusSummaryAsync);
        output.WriteLine($"{uploads.Count} uploads completed on S3 in {started.Elapsed.TotalSeconds:F1} s with 2 Worker processes");
        Assert.Equal(0, await pipeline.CountAsync("failed"));

        // Stored once per distinct content; a thumbnail per image (FR-1.7).
        var keys = await pipeline.S3.KeysAsync();
        Assert.Equal(25, keys.Count(k => k.StartsWith(pipeline.S3.KeyPrefix + "originals/", StringComparison.Ordinal)));
        Assert.Equal(30, keys.Count(k => k.StartsWith(pipeline.S3.KeyPrefix + "thumbnails/", StringComparison.Ordinal)));

        // Both Workers read originals from the store (their own Prometheus endpoints, FR-5.3).
        var reads = new[] { await first.MetricAsync("blob_store_operation_duration_seconds_count"), await second.MetricAsync("blob_store_operation_duration_seconds_count") };
        output.WriteLine($"store operations per worker: {reads[0]} and {reads[1]}");
        Assert.True(reads.Sum() > 0);

        // Back through the Api: the original byte for byte, a range of it, the thumbnail.
        var duplicateId = (await pipeline.ScalarTextAsync(
            $"SELECT id::text FROM images WHERE content_hash = '{Convert.ToHexStringLower(SHA256.HashData(duplicate))}' LIMIT 1")).Trim();
        Assert.Equal(duplicate, await pipeline.Client.GetByteArrayAsync($"/api/v1/images/{duplicateId}/download"));
        using (var ranged = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/images/{duplicateId}/download"))
        {
            ranged.Headers.Range = new RangeHeaderValue(100, 199);
            using var response = await pipeline.Client.SendAsync(ranged);
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal(duplicate[100..200], await response.Content.ReadAsByteArrayAsync());
        }

        using (var thumbnail = await pipeline.Client.GetAsync($"/api/v1/images/{duplicateId}/download?thumbnail=true"))
        {
            Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
            Assert.Equal("image/jpeg", thumbnail.Content.Headers.ContentType?.MediaType);
            Assert.Equal([0xFF, 0xD8], (await thumbnail.Content.ReadAsByteArrayAsync())[..2]);
        }

        // Renditions (ADR 12) on S3: a WebP per image under derived/, served through the Api with
        // ADR 10's caching (streamed, never redirected: ADR 11).
        Assert.True(keys.Count(k => k.StartsWith(pipeline.S3.KeyPrefix + "derived/", StringComparison.Ordinal) && k.EndsWith(".webp", StringComparison.Ordinal)) >= 30);
        string etag;
        using (var webp = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/images/{duplicateId}/renditions/thumbnail"))
        {
            webp.Headers.Accept.ParseAdd("image/webp");
            using var response = await pipeline.Client.SendAsync(webp);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/webp", response.Content.Headers.ContentType?.MediaType);
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal("RIFF"u8.ToArray(), body[..4]);
            Assert.Equal("WEBP"u8.ToArray(), body[8..12]);
            etag = response.Headers.ETag!.Tag;
            Assert.Equal($"\"{Convert.ToHexStringLower(SHA256.HashData(body))}\"", etag);
            Assert.True(response.Headers.NonValidated.TryGetValues("Cache-Control", out var cacheControl));
            Assert.Equal("public, max-age=31536000, immutable", cacheControl.ToString());
        }

        using (var revalidate = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/images/{duplicateId}/renditions/thumbnail?format=webp"))
        {
            revalidate.Headers.IfNoneMatch.ParseAdd(etag);
            using var response = await pipeline.Client.SendAsync(revalidate);
            Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        }

        // Nothing on any process's disk: no blob, no leftover staging or decoding file.
        Assert.Empty(pipeline.LocalFiles());
        Assert.False(first.HasExited || second.HasExited);
    }
}

public sealed class S3OutageFixture : S3PipelineFixture
{
    protected override bool OwnServer => true;
}

/// <summary>
/// NFR-9 on S3 with real processes: the store is killed while uploads go on and while a Worker has
/// tasks for images whose originals it cannot read, and started again. Meanwhile uploads answer 503
/// with Retry-After (never 500), the Worker retries instead of failing anything, and every accepted
/// image completes once the store is back.
/// </summary>
[Collection(KafkaCollection.Name)]
public class S3OutageTests(S3OutageFixture pipeline, ITestOutputHelper output) : IClassFixture<S3OutageFixture>
{
    [Fact]
    public async Task KillingTheStoreDuringUploadsAndProcessingFailsNothingAndEverythingCompletesAfter_NFR9()
    {
        var server = pipeline.S3.Server!;
        var statuses = new ConcurrentQueue<HttpStatusCode>();
        var accepted = new ConcurrentQueue<string>();

        // Accepted while no Worker runs: their tasks wait in Kafka for the outage.
        for (var i = 0; i < 8; i++)
        {
            accepted.Enqueue((await pipeline.Client.UploadAsync(TestImages.Jpeg(640, 480, seed: 8500 + i), "image/jpeg")).GetProperty("id").GetString()!);
        }

        using var done = new CancellationTokenSource();
        var uploads = Task.Run(async () =>
        {
            for (var i = 0; !done.IsCancellationRequested && i < 2000; i++)
            {
                // JPEGs (native, quick) and TIFFs (managed, slower).
                var (bytes, type) = i % 3 == 0 ? (TestImages.Tiff(800, 600, seed: 8000 + i), "image/tiff") : (TestImages.Jpeg(640, 480, seed: 8000 + i), "image/jpeg");
                using var response = await pipeline.Client.PostAsync("/api/v1/images/", UploadForm(bytes, type));
                statuses.Enqueue(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    accepted.Enqueue(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!);
                }
                else if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    Assert.NotNull(response.Headers.RetryAfter);
                }

                await Task.Delay(50);
            }
        });

        await KafkaPipelineFixture.WaitUntilAsync(() => Task.FromResult(accepted.Count >= 12), TimeSpan.FromSeconds(60), () => Task.FromResult($"{accepted.Count} accepted"));
        server.Kill();
        var down = Stopwatch.StartNew();
        var acceptedBefore = accepted.Count;

        // A Worker that starts now gets the waiting tasks and cannot read a single original.
        var environment = pipeline.WorkerEnvironment();
        environment["Logging__LogLevel__Images.Infrastructure.Messaging.Kafka"] = "Warning";
        await using var worker = await ServiceProcess.StartWorkerAsync(environment, TimeSpan.FromSeconds(60));
        await KafkaPipelineFixture.WaitUntilAsync(
            () => Task.FromResult(worker.Output.Contains("hit an infrastructure fault", StringComparison.Ordinal)
                && statuses.Count(s => s == HttpStatusCode.ServiceUnavailable) >= 5 && down.Elapsed > TimeSpan.FromSeconds(8)),
            TimeSpan.FromSeconds(60),
            () => Task.FromResult($"{string.Join(",", statuses)}\nthe worker's log:\n{worker.Output}"));
        var duringOutage = await pipeline.StatusSummaryAsync();
        Assert.Equal(0, await pipeline.CountAsync("failed"));
        Assert.Equal(0, await pipeline.CountAsync("completed"));
        await server.StartAgainAsync();
        output.WriteLine($"the store was down for {down.Elapsed.TotalSeconds:F1} s; at its return: {duringOutage}");
        await KafkaPipelineFixture.WaitUntilAsync(() => Task.FromResult(accepted.Count >= acceptedBefore + 10), TimeSpan.FromSeconds(60), () => Task.FromResult($"{accepted.Count} accepted after the restart"));
        await done.CancelAsync();
        await uploads;

        var ids = accepted.ToArray();
        var restored = Stopwatch.StartNew();
        await KafkaPipelineFixture.WaitUntilAsync(
            async () => await pipeline.ScalarAsync($"SELECT count(*) FROM images WHERE status = 'completed' AND id = ANY('{{{string.Join(",", ids)}}}'::uuid[])") == ids.Length,
            TimeSpan.FromSeconds(90),
            async () => $"{await pipeline.StatusSummaryAsync()}\nthe worker's log:\n{worker.Output[^Math.Min(worker.Output.Length, 10_000)..]}");
        output.WriteLine($"{statuses.Count} uploads during the run: {string.Join(", ", statuses.GroupBy(s => (int)s).Select(g => $"{g.Key} x{g.Count()}"))}; all {ids.Length} accepted completed {restored.Elapsed.TotalSeconds:F1} s after the last upload");

        Assert.All(statuses, s => Assert.True(
            s is HttpStatusCode.Created or HttpStatusCode.ServiceUnavailable,
            $"an upload answered {(int)s}; the Api logged:\n{string.Join("\n", pipeline.Logs.Exceptions.Where(e => e.Message.StartsWith("Unhandled", StringComparison.Ordinal)).Select(e => e.Exception.ToString()))}"));
        Assert.Contains(HttpStatusCode.ServiceUnavailable, statuses);
        Assert.Equal(0, await pipeline.CountAsync("failed"));
        Assert.Equal(ids.Length, await pipeline.ScalarAsync("SELECT count(*) FROM images"));
        Assert.False(worker.HasExited, "the Worker died during the outage:\n" + worker.Output);
    }
}
