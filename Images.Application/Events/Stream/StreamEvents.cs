using System.Diagnostics;
using System.Runtime.CompilerServices;
using Images.Application.Abstractions;
using Images.Application.Common;
using Microsoft.Extensions.Options;

namespace Images.Application.Events.Stream;

/// <summary>What a stream sends next: an event, a reset (events after the client's position are gone), or nothing for a while.</summary>
public abstract record StreamItem
{
    public sealed record Event(ImageEvent Value) : StreamItem;

    /// <summary>
    /// The client's Last-Event-ID is older than the replay window (its events were purged) or newer
    /// than the log (a restored database): it must reload its state; the stream goes on from <paramref name="Position"/>.
    /// </summary>
    public sealed record Reset(long Position, string Reason) : StreamItem;

    /// <summary>Nothing happened for a heartbeat's time.</summary>
    public sealed record Idle : StreamItem;
}

/// <summary>Where a stream resumes, and the reset to send first when the client's position was outside the log.</summary>
public sealed record EventCursor(long Position, StreamItem.Reset? Reset);

/// <summary>
/// FR-12.1: the events after <c>lastEventId</c> (replayed from the log within its window), then
/// every new one as it commits, woken by the log's notification and, should one be lost, by a poll
/// every few seconds. Without a Last-Event-ID the stream starts at the newest event.
/// </summary>
public sealed class StreamEventsHandler(IImageEventLog log, IOptions<EventStreamOptions> options)
{
    private const int Batch = 200;

    /// <summary>The longest wait without looking at the log: a lost notification costs at most this.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Where a stream starts, decided before the client is told the stream is open: an event that
    /// commits after the client saw the response's headers is always after this position.
    /// </summary>
    public async Task<EventCursor> OpenAsync(long? lastEventId, CancellationToken cancellationToken)
    {
        var bounds = await log.BoundsAsync(cancellationToken);
        if (lastEventId is not { } last)
        {
            return new EventCursor(bounds.Latest, null);
        }

        if (last < bounds.PurgedThrough)
        {
            return new EventCursor(bounds.PurgedThrough, new StreamItem.Reset(
                bounds.PurgedThrough, $"Events after {last} are older than the replay window of {options.Value.ReplayHours} h and were purged; reload, then follow the stream."));
        }

        return last > bounds.Latest
            ? new EventCursor(bounds.Latest, new StreamItem.Reset(bounds.Latest, $"Event {last} is newer than the log (it ends at {bounds.Latest}); reload, then follow the stream."))
            : new EventCursor(last, null);
    }

    /// <summary>The reset, if any, then every event after the cursor's position as it commits, and an Idle after each quiet heartbeat.</summary>
    public async IAsyncEnumerable<StreamItem> ReadAsync(EventCursor cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var heartbeat = TimeSpan.FromSeconds(options.Value.HeartbeatSeconds);
        if (cursor.Reset is { } reset)
        {
            yield return reset;
        }

        var position = cursor.Position;
        var idle = TimeSpan.Zero;
        while (!cancellationToken.IsCancellationRequested)
        {
            var wake = log.NextAppend();
            IEnumerable<ImageEvent> events = await log.ReadAfterAsync(position, Batch, cancellationToken);
            var read = events.Count();
            if (events.FirstOrDefault() is { } first && first.Id > position + 1)
            {
                // A gap: ids a rolled-back writer took, or events the purge removed after this
                // stream fixed its position (a resume at the window's edge). Only the latter is a loss,
                // and then the client is told to reload instead of silently missing them.
                var bounds = await log.BoundsAsync(cancellationToken);
                if (bounds.PurgedThrough > position)
                {
                    var purgedAfter = position;
                    position = bounds.PurgedThrough;
                    events = events.Where(e => e.Id > position).ToList();
                    yield return new StreamItem.Reset(position, $"Events after {purgedAfter} were purged (older than the replay window of {options.Value.ReplayHours} h) while the stream opened; reload, then follow the stream.");
                }
            }

            foreach (var e in events)
            {
                position = e.Id;
                yield return new StreamItem.Event(e);
            }

            if (read == Batch)
            {
                continue;
            }

            if (read > 0)
            {
                idle = TimeSpan.Zero;
            }
            else if (idle >= heartbeat)
            {
                idle = TimeSpan.Zero;
                yield return new StreamItem.Idle();
            }

            var wait = heartbeat - idle < Poll ? heartbeat - idle : Poll;
            var started = Stopwatch.GetTimestamp();
            using (var delay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                var timer = Task.Delay(wait, delay.Token);
                var woken = await Task.WhenAny(wake, timer) == wake;
                await delay.CancelAsync();
                cancellationToken.ThrowIfCancellationRequested();
                idle += woken ? Stopwatch.GetElapsedTime(started) : wait;
            }
        }
    }
}
