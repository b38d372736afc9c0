using Images.Application.Common;
using Microsoft.Extensions.Options;

namespace Images.Application.Images.Process;

/// <summary>
/// Bounds the image work of this process, whoever asks (the background workers, /process and
/// /batch/process all pass through it): at most IMG_PROCESSING_MAX_WORKERS decodes at once (NFR-3),
/// and their estimated working memory together at most IMG_MAX_DECODE_MEMORY_MB (NFR-8), so that
/// several large images wait for each other instead of together exceeding what one may use.
/// Waiters are served in arrival order, so a large image is not starved by a stream of small ones.
/// </summary>
public sealed class ProcessingGate(IOptions<ProcessingOptions> options)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Waiter> _waiters = [];
    private int _slotsInUse;
    private long _bytesInUse;

    public int Capacity { get; } = options.Value.MaxWorkers;

    public long MemoryCapacity { get; } = options.Value.MaxDecodeMemoryBytes;

    public int InUse
    {
        get
        {
            lock (_lock)
            {
                return _slotsInUse;
            }
        }
    }

    /// <summary>
    /// Waits for a slot and <paramref name="memoryBytes"/> of the memory pool (capped at the whole
    /// pool: the caller refuses larger decodes before asking).
    /// </summary>
    public async Task<IDisposable> EnterAsync(long memoryBytes, CancellationToken cancellationToken)
    {
        var bytes = Math.Clamp(memoryBytes, 0, MemoryCapacity);
        Waiter waiter;
        lock (_lock)
        {
            if (_waiters.Count == 0 && Fits(bytes))
            {
                Take(bytes);
                return new Slot(this, bytes);
            }

            waiter = new Waiter(bytes);
            waiter.Node = _waiters.AddLast(waiter);
        }

        using (cancellationToken.Register(() => Cancel(waiter, cancellationToken)))
        {
            await waiter.Ready.Task;
        }

        return new Slot(this, bytes);
    }

    private bool Fits(long bytes) => _slotsInUse < Capacity && _bytesInUse + bytes <= MemoryCapacity;

    private void Take(long bytes)
    {
        _slotsInUse++;
        _bytesInUse += bytes;
    }

    private void Cancel(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (waiter.Node?.List is null)
            {
                return; // Already admitted: the slot is released by its owner.
            }

            _waiters.Remove(waiter.Node);
            waiter.Node = null;
            WakeWaiters();
        }

        waiter.Ready.TrySetCanceled(cancellationToken);
    }

    private void Exit(long bytes)
    {
        lock (_lock)
        {
            _slotsInUse--;
            _bytesInUse -= bytes;
            WakeWaiters();
        }
    }

    /// <summary>Admits waiters from the head while they fit. Called under the lock.</summary>
    private void WakeWaiters()
    {
        while (_waiters.First is { } first && Fits(first.Value.Bytes))
        {
            var waiter = first.Value;
            _waiters.RemoveFirst();
            waiter.Node = null;
            Take(waiter.Bytes);
            waiter.Ready.TrySetResult();
        }
    }

    private sealed class Waiter(long bytes)
    {
        public long Bytes { get; } = bytes;

        public LinkedListNode<Waiter>? Node { get; set; }

        public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Slot(ProcessingGate gate, long bytes) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Exit(bytes);
            }
        }
    }
}
