using Confluent.Kafka;
using Images.Infrastructure.Messaging.Kafka;

namespace Images.Tests.Infrastructure;

/// <summary>FR-2.7: tasks run out of order, but a commit never passes a task that is not done.</summary>
public class OffsetTrackerTests
{
    private static readonly TopicPartition P0 = new("tasks", 0);
    private static readonly TopicPartition P1 = new("tasks", 1);

    private static TopicPartitionOffset At(TopicPartition partition, long offset) => new(partition, offset);

    [Fact]
    public void NothingIsCommittableUntilTheFirstTaskIsDone()
    {
        var tracker = new OffsetTracker();
        tracker.Received(At(P0, 10));
        tracker.Began(At(P0, 10));
        tracker.Received(At(P0, 11));
        tracker.Began(At(P0, 11));

        Assert.Empty(tracker.Committable());
        Assert.Equal(2, tracker.InFlight);
    }

    [Fact]
    public void ALaterTaskDoneFirstWaitsForTheEarlierOne()
    {
        var tracker = new OffsetTracker();
        tracker.Received(At(P0, 10));
        tracker.Began(At(P0, 10));
        tracker.Received(At(P0, 11));
        tracker.Began(At(P0, 11));
        tracker.Received(At(P0, 12));
        tracker.Began(At(P0, 12));

        tracker.Ended(At(P0, 12), done: true);
        Assert.Empty(tracker.Committable());

        tracker.Ended(At(P0, 10), done: true);
        Assert.Equal([At(P0, 11)], tracker.Committable()); // 11 still runs: the next to read is 11.

        tracker.Ended(At(P0, 11), done: true);
        Assert.Equal([At(P0, 13)], tracker.Committable());
        Assert.Equal(0, tracker.InFlight);
    }

    [Fact]
    public void ACommittedOffsetIsNotOfferedAgainButARefusedOneIs()
    {
        var tracker = new OffsetTracker();
        tracker.Received(At(P0, 0));
        tracker.Began(At(P0, 0));
        tracker.Ended(At(P0, 0), done: true);

        var offsets = tracker.Committable();
        Assert.Equal([At(P0, 1)], offsets);
        Assert.Equal([At(P0, 1)], tracker.Committable()); // Refused (never marked): offered again.

        tracker.MarkCommitted(offsets);
        Assert.Empty(tracker.Committable());
    }

    [Fact]
    public void AStoppedTaskHoldsItsPartitionBackButNotTheOthers()
    {
        var tracker = new OffsetTracker();
        tracker.Received(At(P0, 5));
        tracker.Began(At(P0, 5));
        tracker.Received(At(P0, 6));
        tracker.Began(At(P0, 6));
        tracker.Received(At(P1, 7));
        tracker.Began(At(P1, 7));

        tracker.Ended(At(P0, 5), done: false); // Stopped: to be delivered again.
        tracker.Ended(At(P0, 6), done: true);
        tracker.Ended(At(P1, 7), done: true);

        Assert.Equal([At(P1, 8)], tracker.Committable());
        Assert.Equal(0, tracker.InFlight);
        Assert.Equal(0, tracker.InFlightOn([P0]));
    }

    [Fact]
    public void CommittableCanBeAskedForSomePartitionsAndForgottenPartitionsAreGone()
    {
        var tracker = new OffsetTracker();
        tracker.Received(At(P0, 1));
        tracker.Began(At(P0, 1));
        tracker.Received(At(P1, 1));
        tracker.Began(At(P1, 1));
        tracker.Ended(At(P0, 1), done: true);
        tracker.Ended(At(P1, 1), done: true);

        Assert.Equal([At(P1, 2)], tracker.Committable([P1]));

        tracker.Forget([P0, P1]);
        Assert.Empty(tracker.Committable());
        tracker.Ended(At(P0, 1), done: true); // A task of a partition given away ends later: ignored.
        Assert.Equal(0, tracker.InFlight);
    }

    [Fact]
    public void AReceivedTaskWaitingForARunnerHoldsCommitsBackButDoesNotCountAsRunning()
    {
        var tracker = new OffsetTracker();
        tracker.Received(At(P0, 1));
        tracker.Received(At(P0, 2));
        tracker.Began(At(P0, 2));
        tracker.Ended(At(P0, 2), done: true);

        Assert.Equal(0, tracker.InFlight);
        Assert.Empty(tracker.Committable());
    }

    [Fact]
    public void RunningTasksAreCountedPerPartition()
    {
        var tracker = new OffsetTracker();
        tracker.Received(At(P0, 1));
        tracker.Began(At(P0, 1));
        tracker.Received(At(P0, 2));
        tracker.Began(At(P0, 2));
        tracker.Received(At(P1, 1));
        tracker.Began(At(P1, 1));

        Assert.Equal(3, tracker.InFlight);
        Assert.Equal(2, tracker.InFlightOn([P0]));
        Assert.Equal(1, tracker.InFlightOn([P1]));
    }
}
