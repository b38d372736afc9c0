using System.Diagnostics;
using Images.DevBroker;
using Images.Infrastructure.Messaging.Kafka;
using Images.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace Images.Tests.Worker;

public sealed class VolatileBrokerFixture : KafkaPipelineFixture;

/// <summary>
/// Issue 17 item 6: the development broker keeps its topics in memory, so a restart of the AppHost
/// loses the tasks of images that are still pending while PostgreSQL keeps their rows. With
/// IMG_BROKER_VOLATILE (which the AppHost sets in local mode) the restarted Api queues them again
/// at once, instead of after the 15-minute requeue.
/// </summary>
[Collection(KafkaCollection.Name)]
public class VolatileBrokerTests(VolatileBrokerFixture pipeline, ITestOutputHelper output) : IClassFixture<VolatileBrokerFixture>
{
    [Fact]
    public async Task PendingImagesWhoseTasksTheBrokerForgotAreQueuedAgainAtStartUp_FR2_7()
    {
        // Uploads published to a broker that then "restarts" empty: no Worker ever saw them.
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await pipeline.Client.UploadAsync(TestImages.Png(64, 48, seed: 7000 + i), "image/png")).GetProperty("id").GetString()!);
        }

        await KafkaPipelineFixture.WaitUntilAsync(
            async () => await pipeline.ScalarAsync("SELECT count(*) FROM processing_outbox WHERE sent_at IS NULL") == 0,
            TimeSpan.FromSeconds(30),
            pipeline.StatusSummaryAsync);

        // The Api from before the restart is gone in this story: its outbox relay, still running in
        // the fixture, must not publish the requeued rows to the old broker, which no Worker reads
        // (the two relays split the rows, so the test failed now and then).
        var oldRelay = Assert.Single(pipeline.Factory.Services.GetServices<IHostedService>().OfType<OutboxRelay>());
        await oldRelay.StopAsync(CancellationToken.None);

        using var restarted = MockKafkaCluster.Start(brokers: 1);
        restarted.CreateTopic(KafkaPipelineFixture.Topic, KafkaPipelineFixture.Partitions);
        restarted.CreateTopic(KafkaPipelineFixture.DeadLetterTopic, 1);
        var started = Stopwatch.StartNew();
        await using var api = new ApiFactory(pipeline, new Dictionary<string, string?>
        {
            ["IMG_STORAGE_BASE_DIR"] = pipeline.Factory.StorageDirectory,
            ["IMG_BROKER_ENABLED"] = "true",
            ["IMG_BROKER_VOLATILE"] = "true",
            ["IMG_KAFKA_BOOTSTRAP_SERVERS"] = restarted.BootstrapServers,
        });
        using var client = api.CreateClient();
        var worker = pipeline.WorkerEnvironment();
        worker["IMG_KAFKA_BOOTSTRAP_SERVERS"] = restarted.BootstrapServers;
        await using var consumer = await ServiceProcess.StartWorkerAsync(worker, TimeSpan.FromSeconds(60));

        foreach (var id in ids)
        {
            await client.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "completed");
        }

        output.WriteLine($"all 5 completed {started.Elapsed.TotalSeconds:F1} s after the restart (the requeue grace is 900 s)");
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(120));
    }
}
