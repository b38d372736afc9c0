namespace Images.Infrastructure.Messaging.Kafka;

/// <summary>Exponential backoff from a first wait, doubling up to 30 s, with a little jitter.</summary>
internal struct Backoff
{
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);
    private TimeSpan _next;

    public static Backoff Start(int firstMilliseconds) => new() { _next = TimeSpan.FromMilliseconds(Math.Max(firstMilliseconds, 50)) };

    public TimeSpan Next()
    {
        var wait = _next;
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, Max.Ticks));
        return wait + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 100));
    }
}
