using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging;

namespace Images.Infrastructure.Messaging.Kafka;

internal static partial class KafkaClientConfig
{
    /// <summary>Idempotent producer, acks from all in-sync replicas (FR-2.7).</summary>
    public static ProducerConfig Producer(BrokerOptions options, string clientId) => new()
    {
        BootstrapServers = options.BootstrapServers,
        ClientId = clientId,
        EnableIdempotence = true,
        Acks = Acks.All,
        MessageTimeoutMs = 10_000,
        LingerMs = 5,
        SocketConnectionSetupTimeoutMs = 5_000,
    };

    /// <summary>
    /// Manual commits only after the image's new state is persisted. With the classic protocol the
    /// member's session timeout and the cooperative-sticky assignor apply; with KIP-848's the
    /// broker assigns partitions (incrementally too) and its settings time the session.
    /// </summary>
    public static ConsumerConfig Consumer(BrokerOptions options, string clientId)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = options.ConsumerGroup,
            ClientId = clientId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            MaxPollIntervalMs = 600_000,
            // A resumed or drained partition is fetched again within 100 ms instead of the 500 ms
            // default: tasks are few and small, and an idle Worker's empty fetches cost nothing.
            FetchWaitMaxMs = 100,
        };
        if (options.GroupProtocol == "consumer")
        {
            config.GroupProtocol = GroupProtocol.Consumer;
        }
        else
        {
            config.SessionTimeoutMs = options.SessionTimeoutMilliseconds;
            config.HeartbeatIntervalMs = Math.Max(500, options.SessionTimeoutMilliseconds / 4);
            config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
        }

        return config;
    }

    /// <summary>
    /// Creates the task and dead-letter topics when missing and the broker supports it. Returns
    /// false (after a clear log line) when it cannot, leaving topics to auto-creation or an operator.
    /// </summary>
    public static async Task<bool> EnsureTopicsAsync(BrokerOptions options, ILogger logger)
    {
        try
        {
            using var admin = new AdminClientBuilder(new AdminClientConfig
            {
                BootstrapServers = options.BootstrapServers,
                SocketConnectionSetupTimeoutMs = 5_000,
            }).Build();
            var existing = admin.GetMetadata(TimeSpan.FromSeconds(5)).Topics
                .Where(t => t.Error.Code == ErrorCode.NoError && t.Partitions.Count > 0)
                .Select(t => t.Topic)
                .ToHashSet();
            if (existing.Contains(options.Topic) && existing.Contains(options.DeadLetterTopic))
            {
                return true;
            }

            await admin.CreateTopicsAsync(
                [
                    new TopicSpecification { Name = options.Topic, NumPartitions = options.TopicPartitions, ReplicationFactor = -1 },
                    new TopicSpecification { Name = options.DeadLetterTopic, NumPartitions = 1, ReplicationFactor = -1 },
                ],
                new CreateTopicsOptions { RequestTimeout = TimeSpan.FromSeconds(10), OperationTimeout = TimeSpan.FromSeconds(10) });
            LogTopicsCreated(logger, options.Topic, options.TopicPartitions, options.DeadLetterTopic);
            return true;
        }
        catch (CreateTopicsException ex) when (ex.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            return true;
        }
        catch (KafkaException ex)
        {
            LogTopicsNotCreated(logger, ex, options.Topic, options.TopicPartitions);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created Kafka topics {Topic} ({Partitions} partitions) and {DeadLetterTopic}")]
    private static partial void LogTopicsCreated(ILogger logger, string topic, int partitions, string deadLetterTopic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not create Kafka topic {Topic} with {Partitions} partitions (the broker may not support CreateTopics, or is unreachable); relying on an existing or auto-created topic")]
    private static partial void LogTopicsNotCreated(ILogger logger, Exception exception, string topic, int partitions);
}
