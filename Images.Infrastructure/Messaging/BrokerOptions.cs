using Images.Infrastructure.Configuration;

namespace Images.Infrastructure.Messaging;

/// <summary>Kafka pipeline settings (FR-2.7): IMG_BROKER_ENABLED, IMG_KAFKA_*, IMG_WORKER_METRICS_PORT.</summary>
public sealed class BrokerOptions
{
    public const string ConnectionStringName = ResourceNames.Kafka;

    public bool Enabled { get; set; }

    public string BootstrapServers { get; set; } = "localhost:9092";

    public string ConsumerGroup { get; set; } = "image-processing";

    public string Topic { get; set; } = "image-processing-tasks";

    public int TopicPartitions { get; set; } = 6;

    public string DeadLetterTopic { get; set; } = "image-processing-tasks.dlq";

    public int RetryBackoffMilliseconds { get; set; } = 500;

    public int SessionTimeoutMilliseconds { get; set; } = 10_000;

    public int ConsumersPerWorker { get; set; } = 2;

    public int OutboxBatchSize { get; set; } = 100;

    public int WorkerMetricsPort { get; set; } = 9090;

    public static void Bind(BrokerOptions options, ImgSettingsReader reader)
    {
        options.Enabled = reader.Bool("IMG_BROKER_ENABLED", false);
        // Aspire injects ConnectionStrings:kafka; it wins over the seed's variable.
        options.BootstrapServers = reader.Raw($"ConnectionStrings:{ConnectionStringName}") ?? reader.String("IMG_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
        options.ConsumerGroup = reader.String("IMG_KAFKA_CONSUMER_GROUP", "image-processing");
        options.Topic = reader.String("IMG_KAFKA_TOPIC", "image-processing-tasks");
        options.TopicPartitions = reader.Int("IMG_KAFKA_TOPIC_PARTITIONS", 6, 1, 1000);
        options.DeadLetterTopic = reader.String("IMG_KAFKA_DLQ_TOPIC", options.Topic + ".dlq");
        options.RetryBackoffMilliseconds = reader.Int("IMG_KAFKA_RETRY_BACKOFF_MS", 500, 0, 600_000);
        options.SessionTimeoutMilliseconds = reader.Int("IMG_KAFKA_SESSION_TIMEOUT_MS", 10_000, 1_000, 300_000);
        options.ConsumersPerWorker = reader.Int("IMG_KAFKA_CONSUMERS", 2, 1, 64);
        options.OutboxBatchSize = reader.Int("IMG_OUTBOX_BATCH_SIZE", 100, 1, 10_000);
        options.WorkerMetricsPort = reader.Int("IMG_WORKER_METRICS_PORT", 9090, 1, 65535);
        reader.Require(options.Topic != options.DeadLetterTopic, "IMG_KAFKA_DLQ_TOPIC must differ from IMG_KAFKA_TOPIC.");
    }
}
