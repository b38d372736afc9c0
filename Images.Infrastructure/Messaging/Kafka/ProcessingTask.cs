using System.Text.Json;
using System.Text.Json.Serialization;

namespace Images.Infrastructure.Messaging.Kafka;

/// <summary>The Kafka message of a processing task: key = image id, value = this JSON.</summary>
public sealed record ProcessingTask(
    [property: JsonPropertyName("image_id")] Guid ImageId,
    [property: JsonPropertyName("enqueued_at")] DateTimeOffset EnqueuedAt)
{
    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(this);

    /// <summary>Parses a message value; null for a poison message that is no task.</summary>
    public static ProcessingTask? TryParse(byte[]? value)
    {
        if (value is null || value.Length == 0)
        {
            return null;
        }

        try
        {
            var task = JsonSerializer.Deserialize<ProcessingTask>(value);
            return task is { ImageId: var id } && id != Guid.Empty ? task : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
