using System.Net.Http.Json;
using System.Text.Json;
using Images.DevBroker;
using Images.Tests.Support;
using Xunit.Abstractions;

namespace Images.Tests.Worker;

/// <summary>
/// A migrated database, the development broker, a shared storage folder and a webhook receiver;
/// the Api and the Workers are real processes that the test starts, kills and starts again.
/// </summary>
public sealed class WebhookPipelineFixture : DatabaseFixture
{
    public MockKafkaCluster Broker { get; private set; } = null!;

    public WebhookReceiver Receiver { get; } = new();

    public string StorageDirectory { get; } = Path.Combine(Path.GetTempPath(), "images-tests-webhooks-" + Guid.NewGuid().ToString("N")[..12]);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Broker = MockKafkaCluster.Start(brokers: 1);
        Broker.CreateTopic(KafkaPipelineFixture.Topic, KafkaPipelineFixture.Partitions);
        Broker.CreateTopic(KafkaPipelineFixture.DeadLetterTopic, 1);
        await Receiver.StartAsync();
    }

    public override async Task DisposeAsync()
    {
        await Receiver.DisposeAsync();
        Broker.Dispose();
        await base.DisposeAsync();
        try
        {
            Directory.Delete(StorageDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    public Dictionary<string, string> Environment() => new()
    {
        ["ConnectionStrings__imagesdb"] = ConnectionString,
        ["IMG_STORAGE_BASE_DIR"] = StorageDirectory,
        ["IMG_BROKER_ENABLED"] = "true",
        ["IMG_KAFKA_BOOTSTRAP_SERVERS"] = Broker.BootstrapServers,
        ["IMG_KAFKA_GROUP_PROTOCOL"] = "consumer",
        ["IMG_KAFKA_RETRY_BACKOFF_MS"] = "100",
        ["IMG_PROCESSING_MAX_WORKERS"] = "2",
        ["IMG_PROCESSING_LEASE_SECONDS"] = "6",
        ["IMG_PROCESSING_REQUEUE_PENDING_SECONDS"] = "10",
        ["IMG_RATE_LIMIT_UPLOAD_MAX"] = "100000",
        ["IMG_RATE_LIMIT_READ_MAX"] = "100000",
        ["IMG_RATE_LIMIT_PROCESS_MAX"] = "100000",
        ["IMG_WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "true",
        ["IMG_WEBHOOK_RETRY_BASE_MS"] = "200",
        ["IMG_WEBHOOK_RETRY_MAX_DELAY_MS"] = "2000",
        ["IMG_WEBHOOK_POLL_INTERVAL_MS"] = "200",
        ["IMG_WEBHOOK_TIMEOUT_SECONDS"] = "2",
        ["Logging__LogLevel__Default"] = "Warning",
    };
}

/// <summary>
/// FR-10.2 end to end with Kafka: every image's image.created and image.completed reach the
/// receiver, correctly signed and in the image's trace, although a Worker is killed (kill -9) while
/// it holds images and the Api is killed and started again in the middle of the stream.
/// </summary>
[Collection(KafkaCollection.Name)]
public class WebhookFaultTests(WebhookPipelineFixture pipeline, ITestOutputHelper output) : IClassFixture<WebhookPipelineFixture>
{
    [Fact]
    public async Task NoEventIsLostAcrossAWorkerKillAndAnApiRestart_FR10_2()
    {
        var environment = pipeline.Environment();
        var api = await ServiceProcess.StartApiAsync(environment, TimeSpan.FromSeconds(60));
        var ids = new List<string>();
        try
        {
            await using var survivor = await ServiceProcess.StartWorkerAsync(environment, TimeSpan.FromSeconds(60));
            var victim = await ServiceProcess.StartWorkerAsync(environment, TimeSpan.FromSeconds(60));
            using (var client = new HttpClient { BaseAddress = api.BaseAddress })
            {
                using var response = await client.PostAsJsonAsync("/api/v1/webhooks", new { url = pipeline.Receiver.Url("/pipeline"), events = new[] { "image.created", "image.completed", "image.failed" } });
                var created = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                pipeline.Receiver.Secrets["/pipeline"] = created.GetProperty("secret").GetString()!;

                // Slow (managed) TIFFs until the victim holds some, then kill -9 it mid-stream.
                var victimHolds = $"SELECT count(*) FROM images WHERE status = 'processing' AND lease_holder LIKE '%/{victim.Pid}/%'";
                for (var i = 0; i < 60 && await pipeline.ScalarAsync(victimHolds) == 0; i++)
                {
                    ids.Add((await client.UploadAsync(TestImages.Tiff(1200, 900, seed: 3000 + i), "image/tiff")).GetProperty("id").GetString()!);
                }

                output.WriteLine($"victim holds {await pipeline.ScalarAsync(victimHolds)} images after {ids.Count} uploads; killing it");
                victim.Kill();
                await victim.DisposeAsync();

                // A slow receiver from now on: deliveries are in flight (leased by this Api) when it dies.
                pipeline.Receiver.AnswerAfter = TimeSpan.FromSeconds(1.5);
                var before = pipeline.Receiver.Requests.Count;
                for (var i = 0; i < 5; i++)
                {
                    ids.Add((await client.UploadAsync(TestImages.Png(64, 48, seed: 3100 + i), "image/png")).GetProperty("id").GetString()!);
                }

                await pipeline.Receiver.WaitUntilAsync(seen => seen.Count > before, TimeSpan.FromSeconds(30), "a delivery in flight");
            }

            // The Api dies (kill -9) with deliveries pending, some of them in flight, and starts again.
            var pending = await pipeline.ScalarAsync("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'");
            api.Kill();
            await api.DisposeAsync();
            output.WriteLine($"killed the Api with {pending} deliveries pending");
            Assert.True(pending > 0, "nothing was pending when the Api died");
            pipeline.Receiver.AnswerAfter = TimeSpan.Zero;
            api = await ServiceProcess.StartApiAsync(environment, TimeSpan.FromSeconds(60));
            using (var client = new HttpClient { BaseAddress = api.BaseAddress })
            {
                for (var i = 0; i < 5; i++)
                {
                    ids.Add((await client.UploadAsync(TestImages.Png(64, 48, seed: 3200 + i), "image/png")).GetProperty("id").GetString()!);
                }
            }

            await pipeline.Receiver.WaitUntilAsync(
                seen => ids.All(id => seen.Any(e => e.Type == "image.created" && e.ImageId == id) && seen.Any(e => e.Type == "image.completed" && e.ImageId == id)),
                TimeSpan.FromSeconds(120),
                $"image.created and image.completed of all {ids.Count} images");

            // What the killed Api had in flight is sent again once its lease lapses: every delivery ends delivered.
            await KafkaPipelineFixture.WaitUntilAsync(
                async () => await pipeline.ScalarAsync("SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'") == 0,
                TimeSpan.FromSeconds(60),
                async () => await pipeline.ScalarTextAsync("SELECT string_agg(id || ':' || status || '/' || attempts || '/' || coalesce(last_error, ''), '; ') FROM webhook_deliveries WHERE status <> 'delivered'"));
        }
        finally
        {
            await api.DisposeAsync();
        }

        var events = pipeline.Receiver.Events("/pipeline");
        output.WriteLine($"{ids.Count} images, {events.Count} requests received, {events.Select(e => e.Id).Distinct().Count()} distinct events; " +
            $"{await pipeline.ScalarAsync("SELECT count(*) FROM webhook_deliveries WHERE attempts > 1")} deliveries took more than one attempt");
        Assert.All(events, e => Assert.True(e.SignatureValid, $"bad signature on {e.Type} {e.Id}"));
        Assert.DoesNotContain(events, e => e.Type == "image.failed");
        // Each event once or more; a duplicate carries the same webhook-id and body (at least once).
        Assert.All(events.GroupBy(e => e.Id), g => Assert.Single(g.Select(e => e.Body).Distinct()));
        Assert.Equal(ids.Count * 2, events.Select(e => e.Id).Distinct().Count());

        // The delivery spans continue each image's trace: the trace id its upload stored.
        foreach (var id in ids.Take(5))
        {
            var traceId = (await pipeline.ScalarTextAsync($"SELECT split_part(trace_parent, '-', 2) FROM processing_outbox WHERE image_id = '{id}' ORDER BY id LIMIT 1")).Trim();
            Assert.Matches("^[0-9a-f]{32}$", traceId);
            Assert.All(events.Where(e => e.ImageId == id), e => Assert.Equal(traceId, e.TraceParent.Split('-')[1]));
        }
    }
}
