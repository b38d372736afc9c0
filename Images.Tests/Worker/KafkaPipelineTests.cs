using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Images.Tests.Support;
using Xunit.Abstractions;

namespace Images.Tests.Worker;

public sealed class ThroughputFixture : KafkaPipelineFixture;

/// <summary>FR-2.7: uploads go through the outbox to Kafka and two Worker hosts in one group process them.</summary>
[Collection(KafkaCollection.Name)]
public class KafkaThroughputTests(ThroughputFixture pipeline, ITestOutputHelper output) : IClassFixture<ThroughputFixture>
{
    [Fact]
    public async Task TwoHundredUploadsAllCompleteWithTwoWorkersInOneGroup_FR2_7()
    {
        await using var first = await pipeline.StartWorkerAsync();
        await using var second = await pipeline.StartWorkerAsync();

        var started = Stopwatch.StartNew();
        var uploads = Enumerable.Range(0, 200).Select(i => TestImages.Png(48 + (i % 7), 32 + (i % 5), seed: 1000 + i)).ToList();
        using (var gate = new SemaphoreSlim(8))
        {
            await Task.WhenAll(uploads.Select(async bytes =>
            {
                await gate.WaitAsync();
                try
                {
                    await pipeline.Client.UploadAsync(bytes, "image/png");
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        var uploaded = started.Elapsed;
        await KafkaPipelineFixture.WaitUntilAsync(async () => await pipeline.CountAsync("completed") == 200, TimeSpan.FromSeconds(120), pipeline.StatusSummaryAsync);
        output.WriteLine($"200 uploads in {uploaded.TotalSeconds:F1} s; all completed after {started.Elapsed.TotalSeconds:F1} s = {200 / started.Elapsed.TotalSeconds:F1} images/s end to end with 2 Worker hosts");

        output.WriteLine("processing runs per image (runs x images): " + await pipeline.ScalarTextAsync("SELECT string_agg(attempts::text || ' x' || n::text, ', ') FROM (SELECT attempts, count(*) n FROM images GROUP BY attempts) a"));
        // Each image was processed once, or at most twice after a redelivery, with the same result.
        Assert.Equal(0, await pipeline.ScalarAsync("SELECT count(*) FROM images WHERE attempts > 2 OR attempts < 1"));
        Assert.Equal(0, await pipeline.ScalarAsync("SELECT count(*) FROM processing_outbox WHERE sent_at IS NULL"));
        Assert.False(first.HasExited || second.HasExited);

        // Both members of the group took a share of the partitions (their Prometheus endpoints, FR-5.3).
        var consumed = new[] { await first.MetricAsync("broker_messages_consumed_total"), await second.MetricAsync("broker_messages_consumed_total") };
        output.WriteLine($"messages consumed per worker: {consumed[0]} and {consumed[1]}");
        Assert.All(consumed, c => Assert.True(c > 0));
        Assert.True(consumed.Sum() >= 200);

        // The relay sends tasks to the partitions in turn (ADR 9): 200 over 6 is 33 or 34 each. By a
        // hash of 200 random ids the counts spread by about 14 between the fullest and the emptiest.
        var perPartition = pipeline.ReadTopic(KafkaPipelineFixture.Topic, TimeSpan.FromSeconds(20))
            .GroupBy(m => m.Partition.Value).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine("tasks per partition: " + string.Join(", ", perPartition.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")));
        Assert.Equal(KafkaPipelineFixture.Partitions, perPartition.Count);
        Assert.True(perPartition.Values.Max() - perPartition.Values.Min() <= 1, "tasks were not spread evenly over the partitions");

        // NFR-4: the Workers processed every PNG with the native library, none with the fallback.
        var native = await ProcessedAsync(first, "native") + await ProcessedAsync(second, "native");
        Assert.True(native >= 200, $"{native} images went through the native library");
        Assert.Equal(0, await ProcessedAsync(first, "managed") + await ProcessedAsync(second, "managed"));
    }

    private static async Task<double> ProcessedAsync(ServiceProcess worker, string engine)
    {
        using var client = new HttpClient();
        return PrometheusText.Sum(await client.GetStringAsync($"http://127.0.0.1:{worker.Port}/metrics"), "image_processed_total", ("engine", engine), ("status", "completed"));
    }
}

public sealed class FailoverFixture : KafkaPipelineFixture;

/// <summary>
/// FR-2.7, NFR-9: a Worker killed abruptly while it holds images, at default settings: the survivor
/// takes its partitions, its images are taken over once their leases lapse, and every image
/// completes within a minute of the kill.
/// </summary>
[Collection(KafkaCollection.Name)]
public class KafkaFailoverTests(FailoverFixture pipeline, ITestOutputHelper output) : IClassFixture<FailoverFixture>
{
    [Fact]
    public async Task KillingABusyWorkerLosesNoImageAndAllCompleteWithinAMinute_FR2_7_NFR9()
    {
        // Default settings; the consumer's information lines (assignments, revocations) are logged.
        var environment = pipeline.DefaultWorkerEnvironment();
        environment["Logging__LogLevel__Images.Infrastructure.Messaging.Kafka"] = "Information";
        await using var survivor = await ServiceProcess.StartWorkerAsync(environment, TimeSpan.FromSeconds(60));

        // TIFFs go through the managed decoder: slow enough that a Worker holds some for a while.
        // Uploads go on until a victim is seen holding images (the group decides who gets what); it
        // is killed, and what it still held once it was dead (its rows no longer change) is what
        // must be taken over. An image can finish between the look and the kill: when the dead
        // victim held nothing, another victim joins and the catch is tried again.
        using var caught = new CancellationTokenSource();
        var uploaded = 0;
        var uploads = Task.Run(async () =>
        {
            while (!caught.IsCancellationRequested && uploaded < 400)
            {
                await pipeline.Client.UploadAsync(TestImages.Tiff(1200, 900, seed: 2000 + uploaded), "image/tiff");
                uploaded++;
            }
        });

        string[] held = [];
        Stopwatch killed = new();
        for (var victims = 1; held.Length == 0; victims++)
        {
            Assert.True(victims <= 5, "no victim was ever killed while holding an image");
            await using var victim = await ServiceProcess.StartWorkerAsync(environment, TimeSpan.FromSeconds(60));
            var victimHolds = $"SELECT coalesce(string_agg(id::text, ','), '') FROM images WHERE status = 'processing' AND lease_holder LIKE '%/{victim.Pid}/%'";
            await KafkaPipelineFixture.WaitUntilAsync(
                async () => (await pipeline.ScalarTextAsync(victimHolds)).Length > 0,
                TimeSpan.FromSeconds(90),
                pipeline.StatusSummaryAsync);
            victim.Kill();
            killed.Restart();
            held = (await pipeline.ScalarTextAsync(victimHolds)).Split(',', StringSplitOptions.RemoveEmptyEntries);
            output.WriteLine($"victim {victims} (pid {victim.Pid}) held {held.Length} images when it died");
        }

        await caught.CancelAsync();
        await uploads;
        var atKill = await pipeline.StatusSummaryAsync();

        await KafkaPipelineFixture.WaitUntilAsync(
            async () => await pipeline.CountAsync("completed") == uploaded,
            TimeSpan.FromSeconds(60) - killed.Elapsed,
            async () => $"{await pipeline.StatusSummaryAsync()}\nthe survivor's log:\n{survivor.Output[^Math.Min(survivor.Output.Length, 20_000)..]}");
        output.WriteLine($"killed a worker holding {held.Length} images at [{atKill}]; all {uploaded} completed {killed.Elapsed.TotalSeconds:F1} s later");
        Assert.Equal(0, await pipeline.CountAsync("failed"));
        foreach (var id in held)
        {
            // Started by the victim, which died holding it, and again by whoever took it over.
            Assert.True(await pipeline.ScalarAsync($"SELECT attempts FROM images WHERE id = '{id}'") >= 2, $"image {id} was not taken over");
        }
    }
}

public sealed class OutageFixture : KafkaPipelineFixture;

/// <summary>FR-2.7: with Kafka away, uploads still succeed and wait in the outbox; when it returns they are processed.</summary>
[Collection(KafkaCollection.Name)]
public class KafkaOutageTests(OutageFixture pipeline, ITestOutputHelper output) : IClassFixture<OutageFixture>
{
    [Fact]
    public async Task UploadsSucceedWhileTheBrokerIsDownAndCompleteWhenItReturns_FR2_7_FR1_4()
    {
        await using var worker = await pipeline.StartWorkerAsync();
        pipeline.Broker.SetDown();

        for (var i = 0; i < 20; i++)
        {
            await pipeline.Client.UploadAsync(TestImages.Webp(120, 90, seed: 3000 + i), "image/webp");
        }

        Assert.Equal(20, await pipeline.ScalarAsync("SELECT count(*) FROM processing_outbox WHERE sent_at IS NULL"));
        await KafkaPipelineFixture.WaitUntilAsync(
            async () => await pipeline.ScalarAsync("SELECT count(*) FROM processing_outbox WHERE sent_at IS NULL AND attempts > 0") > 0,
            TimeSpan.FromSeconds(60),
            pipeline.StatusSummaryAsync);
        Assert.Equal(0, await pipeline.CountAsync("completed"));

        pipeline.Broker.SetUp();
        var restored = Stopwatch.StartNew();
        await KafkaPipelineFixture.WaitUntilAsync(async () => await pipeline.CountAsync("completed") == 20, TimeSpan.FromSeconds(120), pipeline.StatusSummaryAsync);
        output.WriteLine($"all 20 completed {restored.Elapsed.TotalSeconds:F1} s after the broker came back");
        Assert.Equal(0, await pipeline.ScalarAsync("SELECT count(*) FROM processing_outbox WHERE sent_at IS NULL"));
    }
}

public sealed class PoisonFixture : KafkaPipelineFixture;

/// <summary>FR-2.6/FR-2.7: a corrupt image and a poison message end in the dead-letter topic; later messages still flow.</summary>
[Collection(KafkaCollection.Name)]
public class KafkaPoisonTests(PoisonFixture pipeline) : IClassFixture<PoisonFixture>
{
    [Fact]
    public async Task CorruptImagesAndPoisonMessagesAreDeadLetteredAndNothingBlocks_FR2_6_FR2_7()
    {
        // A poison message at the head of every partition, before any real task.
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = pipeline.Broker.BootstrapServers }).Build())
        {
            for (var partition = 0; partition < KafkaPipelineFixture.Partitions; partition++)
            {
                await producer.ProduceAsync(
                    new TopicPartition(KafkaPipelineFixture.Topic, new Partition(partition)),
                    new Message<string, byte[]> { Key = $"poison-{partition}", Value = "{not json"u8.ToArray() });
            }
        }

        await using var worker = await pipeline.StartWorkerAsync();

        // The upload continues the caller's trace; the task carries it through Kafka (FR-5.3).
        var traceId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/images/")
        {
            Content = ApiClientExtensions.UploadForm(TestImages.TruncatedJpeg(), "image/jpeg"),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8))}-01");
        using var response = await pipeline.Client.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var corrupt = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        var good = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            good.Add((await pipeline.Client.UploadAsync(TestImages.Png(64, 48, seed: 4000 + i), "image/png")).GetProperty("id").GetString()!);
        }

        var corruptId = corrupt.GetProperty("id").GetString()!;
        var failed = await pipeline.Client.WaitForStatusAsync(corruptId, TimeSpan.FromSeconds(60), "failed");
        Assert.Contains("truncated", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
        foreach (var id in good)
        {
            await pipeline.Client.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "completed");
        }

        var dead = pipeline.ReadTopic(KafkaPipelineFixture.DeadLetterTopic, TimeSpan.FromSeconds(20));
        // At least once: a rebalance may dead-letter the same message twice.
        var reasons = dead.GroupBy(m => m.Message.Key).ToDictionary(g => g.Key, g => Encoding.UTF8.GetString(g.Last().Message.Headers.GetLastBytes("dlq-reason")));
        Assert.Contains("truncated", reasons[corruptId], StringComparison.Ordinal);
        var traceParent = Encoding.ASCII.GetString(dead.Last(m => m.Message.Key == corruptId).Message.Headers.GetLastBytes("traceparent"));
        Assert.Equal(traceId, traceParent.Split('-')[1]);
        for (var partition = 0; partition < KafkaPipelineFixture.Partitions; partition++)
        {
            Assert.Contains("Poison", reasons[$"poison-{partition}"], StringComparison.Ordinal);
        }
    }
}
