using System.Runtime.InteropServices;
using System.Text;

namespace Images.DevBroker;

/// <summary>
/// An in-memory DEVELOPMENT Kafka cluster (librdkafka's mock cluster) on loopback, for tests and
/// local runs where no broker can be installed. It speaks the real protocol to real clients, but
/// keeps at most about 5 MiB per partition, enforces no transactions, ACLs or TLS, and loses
/// everything when it stops. Production runs on a real Kafka cluster.
/// </summary>
public sealed class MockKafkaCluster : IDisposable
{
    private const int ProducerType = 0;
    private readonly Lock _lock = new();
    private nint _client;
    private nint _cluster;

    private MockKafkaCluster(nint client, nint cluster, int brokers)
    {
        _client = client;
        _cluster = cluster;
        BrokerCount = brokers;
        BootstrapServers = Marshal.PtrToStringUTF8(NativeMethods.rd_kafka_mock_cluster_bootstraps(cluster))
            ?? throw new InvalidOperationException("The mock cluster reported no bootstrap servers.");
    }

    /// <summary>The session timeout of KIP-848 groups: how soon a dead member's partitions move.</summary>
    public const int ConsumerGroupSessionTimeoutMilliseconds = 10_000;

    public string BootstrapServers { get; }

    public int BrokerCount { get; }

    /// <summary>Starts a cluster of <paramref name="brokers"/> brokers with the consumer-group rebalance delay at 0.</summary>
    public static MockKafkaCluster Start(int brokers = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        NativeMethods.EnsureLoaded();
        var error = new byte[512];
        var conf = NativeMethods.rd_kafka_conf_new();
        if (NativeMethods.rd_kafka_conf_set(conf, "client.id", "images-dev-broker", error, (nuint)error.Length) != 0 ||
            NativeMethods.rd_kafka_conf_set(conf, "log_level", "3", error, (nuint)error.Length) != 0)
        {
            throw new InvalidOperationException(Text(error));
        }

        var client = NativeMethods.rd_kafka_new(ProducerType, conf, error, (nuint)error.Length);
        if (client == 0)
        {
            throw new InvalidOperationException("rd_kafka_new failed: " + Text(error));
        }

        var cluster = NativeMethods.rd_kafka_mock_cluster_new(client, brokers);
        if (cluster == 0)
        {
            NativeMethods.rd_kafka_destroy(client);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed.");
        }

        NativeMethods.rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, 0);
        // Groups of the KIP-848 protocol (group.protocol=consumer, IMG_KAFKA_GROUP_PROTOCOL): the
        // broker decides their session timeout and heartbeat interval. 10 s as the Workers' classic
        // default; heartbeats every 200 ms: a partition moves from one member to a joining one in
        // about three heartbeats (the owner learns, revokes and acknowledges; the newcomer learns),
        // which took 1.5-2.3 s from a Worker's start at 500 ms (ADR 9).
        NativeMethods.rd_kafka_mock_set_group_consumer_session_timeout_ms(cluster, ConsumerGroupSessionTimeoutMilliseconds);
        NativeMethods.rd_kafka_mock_set_group_consumer_heartbeat_interval_ms(cluster, 200);
        return new MockKafkaCluster(client, cluster, brokers);
    }

    /// <summary>Creates a topic (the mock cluster has no CreateTopics API; auto-creation makes 4 partitions).</summary>
    public void CreateTopic(string topic, int partitions, int replicationFactor = 1)
    {
        lock (_lock)
        {
            Check(NativeMethods.rd_kafka_mock_topic_create(Live(), topic, partitions, Math.Min(replicationFactor, BrokerCount)), $"create topic {topic}");
        }
    }

    /// <summary>Takes every broker down (connections refused) to simulate an outage.</summary>
    public void SetDown()
    {
        lock (_lock)
        {
            for (var id = 1; id <= BrokerCount; id++)
            {
                Check(NativeMethods.rd_kafka_mock_broker_set_down(Live(), id), $"take broker {id} down");
            }
        }
    }

    /// <summary>Brings every broker back after <see cref="SetDown"/>; the data is kept.</summary>
    public void SetUp()
    {
        lock (_lock)
        {
            for (var id = 1; id <= BrokerCount; id++)
            {
                Check(NativeMethods.rd_kafka_mock_broker_set_up(Live(), id), $"bring broker {id} up");
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_cluster != 0)
            {
                NativeMethods.rd_kafka_mock_cluster_destroy(_cluster);
                _cluster = 0;
            }

            if (_client != 0)
            {
                NativeMethods.rd_kafka_destroy(_client);
                _client = 0;
            }
        }
    }

    private nint Live() => _cluster != 0 ? _cluster : throw new ObjectDisposedException(nameof(MockKafkaCluster));

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"Could not {what}: {Marshal.PtrToStringUTF8(NativeMethods.rd_kafka_err2str(error))}");
        }
    }

    private static string Text(byte[] buffer)
    {
        var end = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
    }
}
