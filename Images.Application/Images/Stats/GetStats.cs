using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;

namespace Images.Application.Images.Stats;

/// <summary>The service's state for operators (FR-12.3): counts, queue lag and the recent processing rate.</summary>
/// <param name="Counts">Images per status (pending, processing, completed, failed).</param>
/// <param name="OldestPendingAt">Upload time of the oldest image waiting to be processed; null when none waits.</param>
/// <param name="QueueLagSeconds">How long that image has waited (0 when none waits): the queue's lag.</param>
/// <param name="ProcessedPerMinute">One entry per minute of the last <see cref="GetStatsHandler.WindowMinutes"/> (UTC minutes), oldest first, the current (partial) minute last, zeros included.</param>
/// <param name="GeneratedAt">When these figures were read.</param>
public sealed record ServiceStats(
    IReadOnlyDictionary<string, long> Counts,
    DateTimeOffset? OldestPendingAt,
    double QueueLagSeconds,
    IReadOnlyList<MinuteStats> ProcessedPerMinute,
    DateTimeOffset GeneratedAt);

public sealed record MinuteStats(DateTimeOffset Minute, long Completed, long Failed);

public sealed class GetStatsHandler(IImageStatistics statistics, TimeProvider clock)
{
    /// <summary>Minutes of processing history returned (within the event log's shortest replay window, an hour).</summary>
    public const int WindowMinutes = 30;

    public async Task<ServiceStats> HandleAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var current = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
        var first = current.AddMinutes(-(WindowMinutes - 1));
        var counts = await statistics.CountsByStatusAsync(cancellationToken);
        var oldest = await statistics.OldestPendingAsync(cancellationToken);
        var recorded = (await statistics.ProcessedPerMinuteAsync(first, cancellationToken)).ToDictionary(m => m.Minute.ToUniversalTime());
        var minutes = Enumerable.Range(0, WindowMinutes)
            .Select(i => first.AddMinutes(i))
            .Select(m => recorded.TryGetValue(m, out var r) ? new MinuteStats(m, r.Completed, r.Failed) : new MinuteStats(m, 0, 0))
            .ToList();
        return new ServiceStats(
            Enum.GetValues<ImageStatus>().ToDictionary(s => s.ToContract(), s => counts.GetValueOrDefault(s)),
            oldest,
            oldest is { } o ? Math.Max(0, (now - o).TotalSeconds) : 0,
            minutes,
            now);
    }
}
