using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Images.Tests.Support;
using Xunit.Abstractions;
using static Images.Tests.Support.ApiClientExtensions;

namespace Images.Tests.Worker;

/// <summary>A pipeline on a PostgreSQL server of its own, which the test kills and restarts.</summary>
public sealed class DatabaseOutageFixture : KafkaPipelineFixture
{
    protected override Task<PostgresServer> StartServerAsync() => PostgresServer.StartDedicatedAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Server.Stop();
    }
}

/// <summary>
/// NFR-9 with real processes: PostgreSQL dies during uploads and processing and comes back. Uploads
/// meanwhile answer 503 with Retry-After (never 500), no image ends failed, and every accepted image
/// completes once the database is back.
/// </summary>
[Collection(KafkaCollection.Name)]
public class DatabaseOutageTests(DatabaseOutageFixture pipeline, ITestOutputHelper output) : IClassFixture<DatabaseOutageFixture>
{
    [Fact]
    public async Task KillingPostgreSqlDuringUploadsAndProcessingFailsNothingAndLosesNothing_NFR9()
    {
        await using var worker = await ServiceProcess.StartWorkerAsync(pipeline.DefaultWorkerEnvironment(), TimeSpan.FromSeconds(60));
        var statuses = new ConcurrentQueue<HttpStatusCode>();
        var accepted = new ConcurrentQueue<string>();
        var sent = 0;
        using var done = new CancellationTokenSource();
        var uploads = Task.Run(async () =>
        {
            for (var i = 0; !done.IsCancellationRequested; i++)
            {
                // JPEGs (native, quick) and TIFFs (managed, slower), so the outage finds some in flight.
                var (bytes, type) = i % 3 == 0 ? (TestImages.Tiff(1000, 700, seed: 5000 + i), "image/tiff") : (TestImages.Jpeg(640, 480, seed: 5000 + i), "image/jpeg");
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

                Interlocked.Increment(ref sent);
                await Task.Delay(50);
            }
        });

        await KafkaPipelineFixture.WaitUntilAsync(() => Task.FromResult(accepted.Count >= 15), TimeSpan.FromSeconds(60), () => Task.FromResult($"{accepted.Count} accepted"));
        pipeline.Server.Halt();
        var down = Stopwatch.StartNew();
        await KafkaPipelineFixture.WaitUntilAsync(
            () => Task.FromResult(statuses.Count(s => s == HttpStatusCode.ServiceUnavailable) >= 5 && down.Elapsed > TimeSpan.FromSeconds(10)),
            TimeSpan.FromSeconds(60),
            () => Task.FromResult(string.Join(",", statuses)));
        await pipeline.Server.ResumeAsync();
        output.WriteLine($"PostgreSQL was down for {down.Elapsed.TotalSeconds:F1} s");
        await KafkaPipelineFixture.WaitUntilAsync(() => Task.FromResult(accepted.Count >= 30), TimeSpan.FromSeconds(60), () => Task.FromResult($"{accepted.Count} accepted after the restart"));
        await done.CancelAsync();
        await uploads;

        var ids = accepted.ToArray();
        var restored = Stopwatch.StartNew();
        await KafkaPipelineFixture.WaitUntilAsync(
            async () => await pipeline.ScalarAsync($"SELECT count(*) FROM images WHERE status = 'completed' AND id = ANY('{{{string.Join(",", ids)}}}'::uuid[])") == ids.Length,
            TimeSpan.FromSeconds(90),
            pipeline.StatusSummaryAsync);
        output.WriteLine($"{sent} uploads: {string.Join(", ", statuses.GroupBy(s => (int)s).Select(g => $"{g.Key} x{g.Count()}"))}; all {ids.Length} accepted completed {restored.Elapsed.TotalSeconds:F1} s after the last upload");

        Assert.All(statuses, s => Assert.True(
            s is HttpStatusCode.Created or HttpStatusCode.ServiceUnavailable,
            $"an upload answered {(int)s}; the Api logged:\n{string.Join("\n", pipeline.Logs.Exceptions.Where(e => e.Message.StartsWith("Unhandled", StringComparison.Ordinal)).Select(e => e.Exception.ToString()))}"));
        Assert.Equal(0, await pipeline.CountAsync("failed"));
        Assert.False(worker.HasExited, "the Worker died during the outage:\n" + worker.Output);
    }
}
