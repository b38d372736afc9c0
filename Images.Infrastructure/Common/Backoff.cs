namespace Images.Infrastructure.Common;

/// <summary>
/// Exponential backoff from a first wait, doubling up to 30 s, with a little jitter (none when
/// <c>jitterMilliseconds</c> is 0): the waits of the background loops that retry after a fault.
/// </summary>
internal struct Backoff
{
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);
    private TimeSpan _next;
    private int _jitterMilliseconds;

    public static Backoff Start(int firstMilliseconds, int jitterMilliseconds = 100) =>
        new() { _next = TimeSpan.FromMilliseconds(Math.Max(firstMilliseconds, 50)), _jitterMilliseconds = jitterMilliseconds };

    public TimeSpan Next()
    {
        var wait = _next;
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, Max.Ticks));
        return _jitterMilliseconds > 0 ? wait + TimeSpan.FromMilliseconds(Random.Shared.Next(0, _jitterMilliseconds)) : wait;
    }
}
