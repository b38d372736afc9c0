using Images.Application.Abstractions;

namespace Images.Infrastructure.Messaging.InProcess;

/// <summary>
/// The in-process adapter of the processing port (IMG_BROKER_ENABLED=false). Inside a unit of work
/// the task waits for the commit: a worker must never look for a row that is not there yet.
/// </summary>
internal sealed class InProcessProcessingQueue(InProcessChannel channel, IUnitOfWork unitOfWork) : IProcessingQueue
{
    public Task<bool> EnqueueAsync(Guid imageId, CancellationToken cancellationToken)
    {
        if (unitOfWork.Current is { } transaction)
        {
            transaction.OnCommitted(() => channel.TryWrite(imageId));
            return Task.FromResult(true);
        }

        return Task.FromResult(channel.TryWrite(imageId));
    }
}
