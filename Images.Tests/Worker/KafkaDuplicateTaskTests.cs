using Confluent.Kafka;
using Images.Tests.Support;

namespace Images.Tests.Worker;

public sealed class DuplicateTaskFixture : KafkaPipelineFixture;

/// <summary>
/// FR-2.7 "processing the same task twice is harmless", on purpose: the task the outbox relay
/// published is published again, byte for byte (key, value and headers, same partition), before a
/// Worker starts; the Worker consumes both and the image is processed once.
/// </summary>
[Collection(KafkaCollection.Name)]
public class KafkaDuplicateTaskTests(DuplicateTaskFixture pipeline) : IClassFixture<DuplicateTaskFixture>
{
    [Fact]
    public async Task ATaskDeliveredTwiceProcessesTheImageOnceAndNothingFails_FR2_7()
    {
        var id = (await pipeline.Client.UploadAsync(TestImages.Jpeg(320, 240, seed: 27), "image/jpeg")).GetProperty("id").GetString()!;
        await KafkaPipelineFixture.WaitUntilAsync(
            async () => await pipeline.ScalarAsync($"SELECT count(*) FROM processing_outbox WHERE image_id = '{id}' AND sent_at IS NOT NULL") == 1,
            TimeSpan.FromSeconds(30),
            pipeline.StatusSummaryAsync);
        var original = Assert.Single(pipeline.ReadTopic(KafkaPipelineFixture.Topic, TimeSpan.FromSeconds(20)), m => m.Message.Key == id);

        DeliveryResult<string, byte[]> duplicate;
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = pipeline.Broker.BootstrapServers }).Build())
        {
            duplicate = await producer.ProduceAsync(
                original.TopicPartition,
                new Message<string, byte[]> { Key = original.Message.Key, Value = original.Message.Value, Headers = original.Message.Headers });
        }

        Assert.Equal(original.Offset.Value + 1, duplicate.Offset.Value);
        Assert.Equal("pending", (await pipeline.Client.GetJsonAsync($"/api/v1/images/{id}")).GetProperty("status").GetString());

        // Both deliveries reach the one Worker, which may well work on them at the same time.
        await using var worker = await ServiceProcess.StartWorkerAsync(pipeline.WorkerEnvironment(), TimeSpan.FromSeconds(60));

        // Done when the group has committed past the duplicate: both deliveries were handled.
        await KafkaPipelineFixture.WaitUntilAsync(
            () => Task.FromResult(CommittedOffset(original.TopicPartition) > duplicate.Offset.Value),
            TimeSpan.FromSeconds(45),
            async () => $"committed offset {CommittedOffset(original.TopicPartition)}, duplicate at {duplicate.Offset.Value}; {await pipeline.StatusSummaryAsync()}\n{worker.Output}");

        var image = await pipeline.Client.GetJsonAsync($"/api/v1/images/{id}");
        Assert.Equal("completed", image.GetProperty("status").GetString());
        Assert.True(image.GetProperty("thumbnail_available").GetBoolean());
        Assert.Equal(1, await pipeline.ScalarAsync($"SELECT attempts FROM images WHERE id = '{id}'"));
        Assert.Single(ExpiringImages.Files(Path.Combine(pipeline.Factory.StorageDirectory, "thumbnails")));
        Assert.True(await worker.MetricAsync("broker_messages_consumed_total") >= 2, "the Worker did not consume both deliveries");
        Assert.Equal(0, await worker.MetricAsync("broker_processing_retries_total"));
        Assert.Equal(0, await worker.MetricAsync("broker_messages_dead_lettered_total"));
        Assert.Empty(pipeline.ReadTopic(KafkaPipelineFixture.DeadLetterTopic, TimeSpan.FromSeconds(20)));
        Assert.Equal(0, await pipeline.CountAsync("failed"));
        Assert.DoesNotContain("fail:", worker.Output, StringComparison.Ordinal);
        Assert.False(worker.HasExited, worker.Output);
    }

    /// <summary>The Worker group's committed offset on <paramref name="partition"/> (-1001 before any commit).</summary>
    private long CommittedOffset(TopicPartition partition)
    {
        using var reader = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = pipeline.Broker.BootstrapServers,
            GroupId = Images.Contracts.TopicNames.ConsumerGroup,
            EnableAutoCommit = false,
        }).Build();
        return reader.Committed([partition], TimeSpan.FromSeconds(10)).Single().Offset.Value;
    }
}
