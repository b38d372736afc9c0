using Images.Domain.Images;

namespace Images.Application.Abstractions;

/// <summary>Images whose processing ended in one minute: completed and failed.</summary>
public sealed record ProcessedInMinute(DateTimeOffset Minute, long Completed, long Failed);

/// <summary>
/// What the operations view reads (FR-12.3), from the same tables every replica writes: the
/// maintained counts per status, the oldest waiting image, and the outcomes recorded in the event log.
/// </summary>
public interface IImageStatistics
{
    Task<IReadOnlyDictionary<ImageStatus, long>> CountsByStatusAsync(CancellationToken cancellationToken);

    /// <summary>When the oldest image still <c>pending</c> was uploaded; null when none waits.</summary>
    Task<DateTimeOffset?> OldestPendingAsync(CancellationToken cancellationToken);

    /// <summary>Completed and failed outcomes per minute since <paramref name="since"/> (minutes without any are left out).</summary>
    Task<IReadOnlyList<ProcessedInMinute>> ProcessedPerMinuteAsync(DateTimeOffset since, CancellationToken cancellationToken);
}
