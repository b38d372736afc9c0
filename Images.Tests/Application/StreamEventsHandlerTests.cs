using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Application.Events.Stream;
using Microsoft.Extensions.Options;

namespace Images.Tests.Application;

/// <summary>FR-12.1's stream logic with a fake log: where it starts, replay, resets, heartbeats, wake-ups.</summary>
public class StreamEventsHandlerTests
{
    private sealed class FakeLog : IImageEventLog
    {
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<ImageEvent> Events { get; } = [];

        public long PurgedThrough { get; set; }

        public void Append(string type)
        {
            lock (Events)
            {
                Events.Add(new ImageEvent((Events.Count == 0 ? PurgedThrough : Events[^1].Id) + 1, type, "{}"));
            }

            Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        public Task<IReadOnlyList<ImageEvent>> ReadAfterAsync(long position, int limit, CancellationToken cancellationToken)
        {
            lock (Events)
            {
                return Task.FromResult<IReadOnlyList<ImageEvent>>([.. Events.Where(e => e.Id > position).Take(limit)]);
            }
        }

        public Task<ImageEventLogBounds> BoundsAsync(CancellationToken cancellationToken)
        {
            lock (Events)
            {
                return Task.FromResult(new ImageEventLogBounds(Events.Count == 0 ? PurgedThrough : Events[^1].Id, PurgedThrough));
            }
        }

        public Task NextAppend() => Volatile.Read(ref _next).Task;
    }

    private static StreamEventsHandler Handler(FakeLog log, int heartbeat = 15) =>
        new(log, Options.Create(new EventStreamOptions { HeartbeatSeconds = heartbeat }));

    private static async Task<List<StreamItem>> TakeAsync(StreamEventsHandler handler, long? lastEventId, int count)
    {
        var items = handler.ReadAsync(await handler.OpenAsync(lastEventId, CancellationToken.None), CancellationToken.None);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var taken = new List<StreamItem>();
        await foreach (var item in items.WithCancellation(cts.Token))
        {
            taken.Add(item);
            if (taken.Count == count)
            {
                break;
            }
        }

        return taken;
    }

    [Fact]
    public async Task WithoutLastEventIdTheStreamStartsAfterTheNewestEventAndIsWokenByAppends_FR12_1()
    {
        var log = new FakeLog();
        log.Append("image.created");
        var reading = TakeAsync(Handler(log), null, 1);
        await Task.Delay(100);
        log.Append("image.completed");

        var item = Assert.IsType<StreamItem.Event>(Assert.Single(await reading));
        Assert.Equal((2L, "image.completed"), (item.Value.Id, item.Value.Type));
    }

    [Fact]
    public async Task ALastEventIdReplaysEverythingAfterIt_FR12_1()
    {
        var log = new FakeLog();
        foreach (var type in new[] { "image.created", "image.completed", "image.created", "image.failed" })
        {
            log.Append(type);
        }

        var items = await TakeAsync(Handler(log), 1, 3);

        Assert.Equal([2L, 3L, 4L], items.Cast<StreamItem.Event>().Select(e => e.Value.Id));
    }

    [Theory]
    [InlineData(3)] // purged: older than the window
    [InlineData(99)] // beyond the log
    public async Task APositionOutsideTheLogGetsAResetThenTheStreamGoesOn_FR12_1(long lastEventId)
    {
        var log = new FakeLog { PurgedThrough = 5 };
        log.Append("image.created");

        var items = await TakeAsync(Handler(log, heartbeat: 1), lastEventId, 2);

        var reset = Assert.IsType<StreamItem.Reset>(items[0]);
        if (lastEventId < 5)
        {
            Assert.Equal(5, reset.Position);
            Assert.Equal(6, Assert.IsType<StreamItem.Event>(items[1]).Value.Id);
        }
        else
        {
            Assert.Equal(6, reset.Position);
            Assert.IsType<StreamItem.Idle>(items[1]);
        }
    }

    [Fact]
    public async Task EventsPurgedBetweenTheOpeningAndTheFirstReadGiveAResetNotASilentGap_FR12_1()
    {
        var log = new FakeLog();
        for (var i = 0; i < 6; i++)
        {
            log.Append("image.created");
        }

        var handler = Handler(log, heartbeat: 1);
        var cursor = await handler.OpenAsync(2, CancellationToken.None); // within the window now
        Assert.Null(cursor.Reset);
        // The purge commits before the stream's first read: events 1-4 are gone.
        lock (log.Events)
        {
            log.Events.RemoveAll(e => e.Id <= 4);
            log.PurgedThrough = 4;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var items = new List<StreamItem>();
        await foreach (var item in handler.ReadAsync(cursor, cts.Token))
        {
            items.Add(item);
            if (items.Count == 3)
            {
                break;
            }
        }

        Assert.Equal(4, Assert.IsType<StreamItem.Reset>(items[0]).Position);
        Assert.Equal([5L, 6L], items.Skip(1).Cast<StreamItem.Event>().Select(e => e.Value.Id));
    }

    [Fact]
    public async Task AGapThatNothingPurgedIsNoReset_FR12_1()
    {
        var log = new FakeLog();
        log.Append("image.created");
        lock (log.Events)
        {
            // Id 2 was taken by a writer that rolled back.
            log.Events.Add(new ImageEvent(3, "image.created", "{}"));
        }

        var items = await TakeAsync(Handler(log), 0, 2);

        Assert.Equal([1L, 3L], items.Cast<StreamItem.Event>().Select(e => e.Value.Id));
    }

    [Fact]
    public async Task AQuietStreamYieldsAHeartbeat_FR12_1()
    {
        var items = await TakeAsync(Handler(new FakeLog(), heartbeat: 1), null, 1);

        Assert.IsType<StreamItem.Idle>(Assert.Single(items));
    }
}
