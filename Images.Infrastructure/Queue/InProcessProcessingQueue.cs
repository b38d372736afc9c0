using System.Collections.Concurrent;
using System.Threading.Channels;
using Images.Application.Abstractions;
using Images.Application.Common;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Queue;

/// <summary>
/// The in-process adapter of the processing port (IMG_BROKER_ENABLED=false): a bounded channel
/// that never holds the same image twice.
/// </summary>
public sealed class InProcessProcessingQueue(IOptions<ProcessingOptions> options) : IProcessingQueue
{
    private readonly Channel<Guid> _channel = Channel.CreateBounded<Guid>(new BoundedChannelOptions(options.Value.QueueCapacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleWriter = false,
        SingleReader = false,
    });

    private readonly ConcurrentDictionary<Guid, byte> _queued = new();

    public Task<bool> EnqueueAsync(Guid imageId, CancellationToken cancellationToken) => Task.FromResult(TryEnqueue(imageId));

    private bool TryEnqueue(Guid imageId)
    {
        if (!_queued.TryAdd(imageId, 0))
        {
            return true;
        }

        if (_channel.Writer.TryWrite(imageId))
        {
            return true;
        }

        _queued.TryRemove(imageId, out _);
        return false;
    }

    internal async IAsyncEnumerable<Guid> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var id in _channel.Reader.ReadAllAsync(cancellationToken))
        {
            _queued.TryRemove(id, out _);
            yield return id;
        }
    }
}
