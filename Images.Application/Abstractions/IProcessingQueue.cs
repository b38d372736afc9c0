namespace Images.Application.Abstractions;

/// <summary>
/// Transport-neutral port for processing tasks: in-process (IMG_BROKER_ENABLED=false) or Kafka
/// through a transactional outbox; the host registers exactly one. Delivery is at least once;
/// processing is idempotent.
/// </summary>
public interface IProcessingQueue
{
    /// <summary>
    /// Makes sure a processing task for the image exists. Inside a unit of work the task is part of
    /// it: committed with it, or gone with it. Returns false when it could not be queued now (a full
    /// in-process queue); the image then stays pending and recovery queues it later.
    /// </summary>
    Task<bool> EnqueueAsync(Guid imageId, CancellationToken cancellationToken);
}
