using Images.Application.Common.Settings;
using Images.Contracts;

namespace Images.Infrastructure.Messaging.Kafka;

/// <summary>Kafka pipeline settings (FR-2.7): IMG_BROKER_ENABLED, IMG_KAFKA_*, IMG_OUTBOX_*, IMG_WORKER_METRICS_PORT.</summary>
public sealed class BrokerOptions : IImgSettings<BrokerOptions>
{
    public const string ConnectionStringName = ResourceNames.Kafka;

    /// <summary>IMG_BROKER_ENABLED: read once, when a host is composed, to choose its one transport.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// IMG_BROKER_VOLATILE: the broker keeps nothing across restarts (the in-memory development
    /// broker); at start-up every pending image is queued again at once instead of after
    /// IMG_PROCESSING_REQUEUE_PENDING_SECONDS. The AppHost sets it in local mode.
    /// </summary>
    public bool Volatile { get; set; }

    public string BootstrapServers { get; set; } = "localhost:9092";

    public string ConsumerGroup { get; set; } = TopicNames.ConsumerGroup;

    public string Topic { get; set; } = TopicNames.Tasks;

    public int TopicPartitions { get; set; } = 6;

    /// <summary>IMG_KAFKA_DLQ_TOPIC; by default the task topic's name + ".dlq".</summary>
    public string DeadLetterTopic { get; set; } = TopicNames.DeadLetters;

    /// <summary>First wait after an infrastructure fault; it doubles up to 30 s.</summary>
    public int RetryBackoffMilliseconds { get; set; } = 500;

    public int SessionTimeoutMilliseconds { get; set; } = 10_000;

    /// <summary>
    /// IMG_KAFKA_GROUP_PROTOCOL: <c>classic</c> (every Kafka) or <c>consumer</c> (KIP-848: Kafka 4.0
    /// and later, and the development broker), where the broker assigns partitions without stopping
    /// the group, and its own settings decide the session timeout.
    /// </summary>
    public string GroupProtocol { get; set; } = "classic";

    /// <summary>
    /// IMG_KAFKA_MAX_IN_FLIGHT: tasks a Worker holds at once (its one consumer pauses beyond it);
    /// 0, the default, means twice IMG_PROCESSING_MAX_WORKERS, so a slot that frees finds the next
    /// image waiting. The processing gate still decides how many decode at once.
    /// </summary>
    public int MaxInFlight { get; set; }

    public int OutboxBatchSize { get; set; } = 100;

    /// <summary>IMG_OUTBOX_POLL_INTERVAL_MS: how often the relay looks for tasks written by other processes (its own wake it at once).</summary>
    public int OutboxPollIntervalMilliseconds { get; set; } = 1000;

    /// <summary>IMG_OUTBOX_MAX_BACKOFF_MS: the relay's longest wait between attempts while Kafka or the database is away.</summary>
    public int OutboxMaxBackoffMilliseconds { get; set; } = 15_000;

    public int WorkerMetricsPort { get; set; } = 9090;

    public static void Bind(BrokerOptions options, ImgSettingsReader reader)
    {
        options.Enabled = reader.Bool("IMG_BROKER_ENABLED", options.Enabled);
        options.Volatile = reader.Bool("IMG_BROKER_VOLATILE", options.Volatile);
        // Aspire injects ConnectionStrings:kafka; it wins over the seed's variable.
        options.BootstrapServers = reader.Raw($"ConnectionStrings:{ConnectionStringName}") ?? reader.String("IMG_KAFKA_BOOTSTRAP_SERVERS", options.BootstrapServers);
        options.ConsumerGroup = reader.String("IMG_KAFKA_CONSUMER_GROUP", options.ConsumerGroup);
        options.Topic = reader.String("IMG_KAFKA_TOPIC", options.Topic);
        options.TopicPartitions = reader.Int("IMG_KAFKA_TOPIC_PARTITIONS", options.TopicPartitions, 1, 1000);
        options.DeadLetterTopic = reader.String("IMG_KAFKA_DLQ_TOPIC", options.Topic + ".dlq");
        options.RetryBackoffMilliseconds = reader.Int("IMG_KAFKA_RETRY_BACKOFF_MS", options.RetryBackoffMilliseconds, 0, 600_000);
        options.SessionTimeoutMilliseconds = reader.Int("IMG_KAFKA_SESSION_TIMEOUT_MS", options.SessionTimeoutMilliseconds, 1_000, 300_000);
        options.GroupProtocol = reader.OneOf("IMG_KAFKA_GROUP_PROTOCOL", options.GroupProtocol, "classic", "consumer");
        options.MaxInFlight = reader.Int("IMG_KAFKA_MAX_IN_FLIGHT", options.MaxInFlight, 0, 10_000);
        options.OutboxBatchSize = reader.Int("IMG_OUTBOX_BATCH_SIZE", options.OutboxBatchSize, 1, 10_000);
        options.OutboxPollIntervalMilliseconds = reader.Int("IMG_OUTBOX_POLL_INTERVAL_MS", options.OutboxPollIntervalMilliseconds, 50, 60_000);
        options.OutboxMaxBackoffMilliseconds = reader.Int("IMG_OUTBOX_MAX_BACKOFF_MS", options.OutboxMaxBackoffMilliseconds, 100, 600_000);
        options.WorkerMetricsPort = reader.Int("IMG_WORKER_METRICS_PORT", options.WorkerMetricsPort, 1, 65535);
        reader.Require(options.Topic != options.DeadLetterTopic, "IMG_KAFKA_DLQ_TOPIC must differ from IMG_KAFKA_TOPIC.");
    }
}
