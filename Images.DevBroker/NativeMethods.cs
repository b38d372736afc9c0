using System.Reflection;
using System.Runtime.InteropServices;

namespace Images.DevBroker;

/// <summary>The few librdkafka entry points the mock cluster needs.</summary>
internal static partial class NativeMethods
{
    private const string Library = "librdkafka";

    static NativeMethods() => NativeLibrary.SetDllImportResolver(typeof(NativeMethods).Assembly, Resolve);

    /// <summary>Forces the static constructor (and so the resolver) to run before the first call.</summary>
    public static void EnsureLoaded()
    {
    }

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint rd_kafka_conf_new();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_conf_set(nint conf, string name, string value, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library)]
    public static partial nint rd_kafka_new(int type, nint conf, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library)]
    public static partial void rd_kafka_destroy(nint rk);

    [LibraryImport(Library)]
    public static partial nint rd_kafka_mock_cluster_new(nint rk, int brokerCount);

    [LibraryImport(Library)]
    public static partial void rd_kafka_mock_cluster_destroy(nint mcluster);

    [LibraryImport(Library)]
    public static partial nint rd_kafka_mock_cluster_bootstraps(nint mcluster);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_topic_create(nint mcluster, string topic, int partitionCount, int replicationFactor);

    [LibraryImport(Library)]
    public static partial void rd_kafka_mock_group_initial_rebalance_delay_ms(nint mcluster, int delayMs);

    [LibraryImport(Library)]
    public static partial void rd_kafka_mock_set_group_consumer_session_timeout_ms(nint mcluster, int sessionTimeoutMs);

    [LibraryImport(Library)]
    public static partial void rd_kafka_mock_set_group_consumer_heartbeat_interval_ms(nint mcluster, int heartbeatIntervalMs);

    [LibraryImport(Library)]
    public static partial int rd_kafka_mock_broker_set_down(nint mcluster, int brokerId);

    [LibraryImport(Library)]
    public static partial int rd_kafka_mock_broker_set_up(nint mcluster, int brokerId);

    [LibraryImport(Library)]
    public static partial nint rd_kafka_err2str(int err);

    /// <summary>
    /// Loads librdkafka from the app's runtimes folder. Debian 12 lacks libsasl2.so.3, which the main
    /// build needs; like Confluent.Kafka, fall back to the CentOS 8 build, which does not.
    /// </summary>
    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library)
        {
            return 0;
        }

        var native = Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier.StartsWith("linux-arm64", StringComparison.Ordinal) ? "linux-arm64" : "linux-x64", "native");
        foreach (var candidate in new[] { "librdkafka.so", "centos8-librdkafka.so", "alpine-librdkafka.so" })
        {
            if (NativeLibrary.TryLoad(Path.Combine(native, candidate), out var handle))
            {
                return handle;
            }
        }

        return NativeLibrary.TryLoad("librdkafka.so.1", out var system) ? system : 0;
    }
}
