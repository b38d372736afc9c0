namespace Images.Application.Abstractions;

/// <summary>Transport-neutral port for processing tasks (in-process now; Kafka behind the same port).</summary>
public interface IProcessingQueue
{
    /// <summary>
    /// Hands an image to background processing. Returns false when the queue is full; the image then
    /// stays pending and recovery picks it up later, so nothing is lost.
    /// </summary>
    bool TryEnqueue(Guid imageId);
}
