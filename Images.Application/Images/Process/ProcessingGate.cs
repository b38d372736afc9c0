using Images.Application.Common;
using Microsoft.Extensions.Options;

namespace Images.Application.Images.Process;

/// <summary>
/// Bounds how many images this process decodes at once (NFR-3), whoever asks: the background
/// workers, /process and /batch/process all pass through it.
/// </summary>
public sealed class ProcessingGate(IOptions<ProcessingOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.Value.MaxWorkers, options.Value.MaxWorkers);

    public int Capacity { get; } = options.Value.MaxWorkers;

    public int InUse => Capacity - _slots.CurrentCount;

    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        return new Slot(_slots);
    }

    public void Dispose() => _slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
