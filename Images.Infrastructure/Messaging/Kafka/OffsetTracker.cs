using Confluent.Kafka;

namespace Images.Infrastructure.Messaging.Kafka;

/// <summary>
/// Ordered commits for tasks handled out of order (FR-2.7): per partition, the offsets handed out
/// and not yet done. What may be committed is the lowest unfinished offset, or one past the
/// last handed out when all are finished, so a commit never passes a task still at work: if the
/// process dies, every unfinished task is delivered again. Tasks finish on any thread; the consumer
/// loop asks what to commit.
/// </summary>
internal sealed class OffsetTracker
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TopicPartition, Partition> _partitions = [];

    /// <summary>Tasks running, over all partitions.</summary>
    public int InFlight
    {
        get
        {
            lock (_lock)
            {
                return _partitions.Values.Sum(p => p.Running);
            }
        }
    }

    /// <summary>A task was received: until it is done, no commit of its partition passes it.</summary>
    public void Received(TopicPartitionOffset task)
    {
        lock (_lock)
        {
            if (!_partitions.TryGetValue(task.TopicPartition, out var partition))
            {
                // What the group had committed: the first offset this member was given.
                _partitions[task.TopicPartition] = partition = new Partition { Committed = task.Offset.Value };
            }

            partition.Unfinished.Add(task.Offset.Value);
            partition.Next = Math.Max(partition.Next, task.Offset.Value + 1);
        }
    }

    /// <summary>A received task starts running.</summary>
    public void Began(TopicPartitionOffset task)
    {
        lock (_lock)
        {
            if (_partitions.TryGetValue(task.TopicPartition, out var partition))
            {
                partition.Running++;
            }
        }
    }

    /// <summary>
    /// A running task ended: done, its offset may be committed once every earlier one is done too; stopped
    /// (not done), its offset holds the partition's commits back, so it is delivered again.
    /// </summary>
    public void Ended(TopicPartitionOffset task, bool done)
    {
        lock (_lock)
        {
            if (_partitions.TryGetValue(task.TopicPartition, out var partition))
            {
                partition.Running = Math.Max(0, partition.Running - 1);
                if (done)
                {
                    partition.Unfinished.Remove(task.Offset.Value);
                }
            }
        }
    }

    /// <summary>Running tasks of these partitions.</summary>
    public int InFlightOn(IEnumerable<TopicPartition> partitions)
    {
        lock (_lock)
        {
            return partitions.Sum(p => _partitions.TryGetValue(p, out var partition) ? partition.Running : 0);
        }
    }

    /// <summary>The offsets to commit (of the given partitions, or all) that moved since the last commit.</summary>
    public List<TopicPartitionOffset> Committable(IEnumerable<TopicPartition>? only = null)
    {
        lock (_lock)
        {
            var committable = new List<TopicPartitionOffset>();
            foreach (var (topicPartition, partition) in only is null ? _partitions : _partitions.Where(p => only.Contains(p.Key)))
            {
                var upTo = partition.Unfinished.Count > 0 ? partition.Unfinished.Min : partition.Next;
                if (upTo > partition.Committed)
                {
                    committable.Add(new TopicPartitionOffset(topicPartition, new Offset(upTo)));
                }
            }

            return committable;
        }
    }

    /// <summary>The broker accepted these offsets (a refused commit is simply offered again).</summary>
    public void MarkCommitted(IEnumerable<TopicPartitionOffset> offsets)
    {
        lock (_lock)
        {
            foreach (var offset in offsets)
            {
                if (_partitions.TryGetValue(offset.TopicPartition, out var partition))
                {
                    partition.Committed = Math.Max(partition.Committed, offset.Offset.Value);
                }
            }
        }
    }

    /// <summary>The partitions left this consumer: whatever they still had is another member's now.</summary>
    public void Forget(IEnumerable<TopicPartition> partitions)
    {
        lock (_lock)
        {
            foreach (var partition in partitions)
            {
                _partitions.Remove(partition);
            }
        }
    }

    private sealed class Partition
    {
        /// <summary>Offsets received and not done (waiting, running, or stopped and to be delivered again).</summary>
        public SortedSet<long> Unfinished { get; } = [];

        public int Running { get; set; }

        /// <summary>One past the highest offset handed out.</summary>
        public long Next { get; set; }

        /// <summary>The offset the group has committed (nothing before it is unfinished).</summary>
        public long Committed { get; set; }
    }
}
