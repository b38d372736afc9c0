using System.Collections.Concurrent;
using System.Threading.Channels;
using Images.Application.Common;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Messaging.InProcess;

/// <summary>
/// The in-process task queue (IMG_BROKER_ENABLED=false): a bounded channel that never holds the
/// same image twice, drained by <see cref="InProcessProcessingService"/>.
/// </summary>
public sealed class InProcessChannel(IOptions<ProcessingOptions> options)
{
    private readonly Channel<Guid> _channel = Channel.CreateBounded<Guid>(new BoundedChannelOptions(options.Value.QueueCapacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleWriter = false,
        SingleReader = false,
    });

    private readonly ConcurrentDictionary<Guid, byte> _queued = new();

    /// <summary>False when the channel is full (the image stays pending; recovery queues it later).</summary>
    public bool TryWrite(Guid imageId)
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
