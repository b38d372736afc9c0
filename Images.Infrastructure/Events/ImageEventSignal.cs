namespace Images.Infrastructure.Events;

/// <summary>
/// Wakes every open event stream of this process at once: <see cref="Next"/> is a task that the
/// next <see cref="Notify"/> completes (a broadcast, unlike the dispatchers' one-waiter signals).
/// </summary>
public sealed class ImageEventSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Next => Volatile.Read(ref _next).Task;

    public void Notify() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
