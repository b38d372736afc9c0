using Images.DevBroker;

// Runs the in-memory development broker until SIGTERM / Ctrl+C and prints its bootstrap servers.
// Settings: DEVBROKER_BROKERS (1), IMG_KAFKA_TOPIC (image-processing-tasks), IMG_KAFKA_TOPIC_PARTITIONS (6).
var brokers = int.TryParse(Environment.GetEnvironmentVariable("DEVBROKER_BROKERS"), out var b) ? b : 1;
var topic = Environment.GetEnvironmentVariable("IMG_KAFKA_TOPIC") ?? Images.Contracts.TopicNames.Tasks;
var partitions = int.TryParse(Environment.GetEnvironmentVariable("IMG_KAFKA_TOPIC_PARTITIONS"), out var p) ? p : 6;

using var cluster = MockKafkaCluster.Start(brokers);
cluster.CreateTopic(topic, partitions);
cluster.CreateTopic(topic + ".dlq", 1);
Console.WriteLine($"DEVELOPMENT Kafka broker (librdkafka mock cluster, in memory; production uses a real Kafka cluster)");
Console.WriteLine($"bootstrap servers: {cluster.BootstrapServers}; topic {topic} with {partitions} partitions");

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}
