namespace Images.Contracts;

/// <summary>The Kafka topics of the processing pipeline (FR-2.7), by default; IMG_KAFKA_TOPIC and IMG_KAFKA_DLQ_TOPIC override them.</summary>
public static class TopicNames
{
    public const string Tasks = "image-processing-tasks";
    public const string DeadLetters = Tasks + ".dlq";
    public const string ConsumerGroup = "image-processing";
}
