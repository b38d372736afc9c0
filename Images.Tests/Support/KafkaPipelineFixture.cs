using Confluent.Kafka;
using Images.DevBroker;

namespace Images.Tests.Support;

/// <summary>
/// The Kafka pipeline for real: the development broker (librdkafka's mock cluster), the Api with
/// IMG_BROKER_ENABLED=true (outbox + relay), a migrated PostgreSQL database, and Worker processes
/// started by each test.
/// </summary>
public class KafkaPipelineFixture : ApiFixture
{
    public const string Topic = Images.Contracts.TopicNames.Tasks;
    public const string DeadLetterTopic = Images.Contracts.TopicNames.DeadLetters;
    public const int Partitions = 6;

    public MockKafkaCluster Broker { get; } = StartBroker();

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["IMG_BROKER_ENABLED"] = "true",
        ["IMG_KAFKA_BOOTSTRAP_SERVERS"] = Broker.BootstrapServers,
        ["IMG_KAFKA_TOPIC_PARTITIONS"] = Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture),
        // A broker back after an outage is seen within two seconds, not fifteen.
        ["IMG_OUTBOX_MAX_BACKOFF_MS"] = "2000",
    };

    public Dictionary<string, string> WorkerEnvironment()
    {
        var environment = DefaultWorkerEnvironment();
        environment["IMG_KAFKA_SESSION_TIMEOUT_MS"] = "6000";
        // As the AppHost and run.sh set it for the development broker (the failover test keeps the classic default).
        environment["IMG_KAFKA_GROUP_PROTOCOL"] = "consumer";
        environment["IMG_KAFKA_RETRY_BACKOFF_MS"] = "100";
        environment["IMG_PROCESSING_MAX_WORKERS"] = "2";
        return environment;
    }

    /// <summary>What a Worker needs to join this pipeline, and every other setting at its default.</summary>
    public virtual Dictionary<string, string> DefaultWorkerEnvironment() => new()
    {
        ["ConnectionStrings__imagesdb"] = ConnectionString,
        ["IMG_STORAGE_BASE_DIR"] = Factory.StorageDirectory,
        ["IMG_BROKER_ENABLED"] = "true",
        ["IMG_KAFKA_BOOTSTRAP_SERVERS"] = Broker.BootstrapServers,
        ["Logging__LogLevel__Default"] = "Warning",
    };

    public Task<ServiceProcess> StartWorkerAsync() => ServiceProcess.StartWorkerAsync(WorkerEnvironment(), TimeSpan.FromSeconds(60));

    public async Task<long> CountAsync(string status) =>
        await ScalarAsync($"SELECT count(*) FROM images WHERE status = '{status}'");

    /// <summary>Waits until <paramref name="condition"/> holds; fails with <paramref name="describe"/> after the timeout.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<Task<string>> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"condition not met within {timeout}: {await describe()}");
            }

            await Task.Delay(100);
        }
    }

    public async Task<string> StatusSummaryAsync()
    {
        var parts = new List<string>();
        foreach (var status in new[] { "pending", "processing", "completed", "failed" })
        {
            parts.Add($"{status}={await CountAsync(status)}");
        }

        parts.Add($"outbox_unsent={await ScalarAsync("SELECT count(*) FROM processing_outbox WHERE sent_at IS NULL")}");
        return string.Join(", ", parts);
    }

    /// <summary>Reads everything currently in a topic (for the dead-letter checks).</summary>
    public List<ConsumeResult<string, byte[]>> ReadTopic(string topic, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = Broker.BootstrapServers,
            GroupId = "test-reader-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).Build();
        consumer.Subscribe(topic);
        var messages = new List<ConsumeResult<string, byte[]>>();
        var deadline = DateTime.UtcNow + timeout;
        var eofs = new HashSet<int>();
        while (DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                eofs.Add(result.Partition.Value);
                if (consumer.Assignment.Count > 0 && consumer.Assignment.All(p => eofs.Contains(p.Partition.Value)))
                {
                    break;
                }

                continue;
            }

            messages.Add(result);
        }

        consumer.Close();
        return messages;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Broker.Dispose();
    }

    private static MockKafkaCluster StartBroker()
    {
        var broker = MockKafkaCluster.Start(brokers: 1);
        broker.CreateTopic(Topic, Partitions);
        broker.CreateTopic(DeadLetterTopic, 1);
        return broker;
    }
}

[CollectionDefinition(Name)]
public sealed class KafkaCollection
{
    /// <summary>The Kafka tests run one after another: each starts several processes on 2 cores.</summary>
    public const string Name = "kafka pipeline";
}
