using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Confluent.Kafka;
using Images.Application.Common;
using Images.Application.Images.Process;
using Images.Domain.Images;
using Images.Infrastructure.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Messaging.Kafka;

/// <summary>
/// The Worker's consumer (FR-2.7): one member of IMG_KAFKA_CONSUMER_GROUP per process, whose loop
/// only polls, hands tasks to runners and commits; IMG_KAFKA_MAX_IN_FLIGHT runners work in parallel
/// (the ProcessImage use case's gate deciding how many decode at once), and
/// an offset is committed only when it and every earlier one of its partition are persisted
/// (<see cref="OffsetTracker"/>). Because the loop never waits on an image, the member answers a
/// rebalance at once. An image that fails (its own fault) is recorded on the dead-letter topic; a
/// task that meets an infrastructure fault is retried with capped backoff until it goes through,
/// never failed (NFR-9). A partition taken away is given a short grace for its tasks to finish;
/// the rest are stopped (their images go back to pending) and delivered to the new owner. On
/// shutdown the tasks at work are stopped the same way and their offsets left uncommitted.
/// </summary>
public sealed partial class KafkaProcessingConsumer(
    IServiceScopeFactory scopes,
    IOptions<BrokerOptions> options,
    IOptions<ProcessingOptions> processing,
    MessagingTelemetry telemetry,
    ILogger<KafkaProcessingConsumer> logger) : BackgroundService
{
    public const string ReasonHeader = "dlq-reason";

    /// <summary>
    /// How long a revoked partition's running tasks may take to finish before they are stopped.
    /// Short: with the classic protocol the whole group waits for this member meanwhile.
    /// </summary>
    private static readonly TimeSpan RevokeGrace = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan CommitInterval = TimeSpan.FromMilliseconds(200);

    private readonly OffsetTracker _offsets = new();
    private readonly ConcurrentDictionary<TopicPartition, CancellationTokenSource> _partitionStops = new();
    /// <summary>Tasks received and not yet taken by a runner.</summary>
    private int _waiting;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var capacity = settings.MaxInFlight > 0 ? settings.MaxInFlight : 2 * processing.Value.MaxWorkers;
        await Task.Yield();
        await KafkaClientConfig.EnsureTopicsAsync(settings, logger);
        using var deadLetters = new ProducerBuilder<string, byte[]>(KafkaClientConfig.Producer(settings, $"images-worker-dlq-{Environment.MachineName}")).Build();
        var received = Channel.CreateUnbounded<Received>(new UnboundedChannelOptions { SingleWriter = true });
        var runners = Enumerable.Range(0, capacity)
            .Select(_ => Task.Run(() => RunAsync(received.Reader, settings, deadLetters, stoppingToken), CancellationToken.None))
            .ToList();
        await Task.Factory.StartNew(() => ConsumeLoop(settings, capacity, received.Writer, stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Task.WhenAll(runners);
        deadLetters.Flush(TimeSpan.FromSeconds(5));
    }

    /// <summary>
    /// Polls, hands tasks to the runners and commits. It never waits on an image, so heartbeats,
    /// rebalances and commits go on however long the images take. Backpressure: beyond a prefetch
    /// of tasks waiting for a runner the assigned partitions are paused, and resumed once the
    /// runners have caught up (hysteresis, so that a slow image does not pause them on and off).
    /// </summary>
    private void ConsumeLoop(BrokerOptions settings, int capacity, ChannelWriter<Received> received, CancellationToken stoppingToken)
    {
        var pauseAt = Math.Max(4 * capacity, 32);
        var resumeAt = capacity;
        var assignmentChanged = false;
        using var consumer = new ConsumerBuilder<string, byte[]>(KafkaClientConfig.Consumer(settings, $"images-worker-{Environment.MachineName}-{Environment.ProcessId}"))
            .SetPartitionsAssignedHandler((_, partitions) =>
            {
                LogAssigned(string.Join(",", partitions.Select(p => p.Partition.Value)));
                foreach (var partition in partitions)
                {
                    _partitionStops[partition] = new CancellationTokenSource();
                }

                // librdkafka keeps a partition's pause across a revoke and a new assignment: the loop
                // sets the new assignment's state explicitly.
                assignmentChanged = true;
            })
            .SetPartitionsRevokedHandler((c, partitions) => Revoked(c, partitions.Select(p => p.TopicPartition).ToList(), commit: true))
            .SetPartitionsLostHandler((c, partitions) => Revoked(c, partitions.Select(p => p.TopicPartition).ToList(), commit: false))
            .SetErrorHandler((_, error) => LogKafkaError(error.Code.ToString(), error.Reason))
            .Build();
        consumer.Subscribe(settings.Topic);
        var paused = false;
        var lastCommit = Stopwatch.GetTimestamp();
        var loopBackoff = Backoff.Start(settings.RetryBackoffMilliseconds);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var waiting = Volatile.Read(ref _waiting);
                    if (waiting >= pauseAt || (paused && waiting > resumeAt))
                    {
                        paused = PauseOrResume(consumer, pause: true); // Again each time: partitions may have been assigned since.
                    }
                    else if (paused || assignmentChanged)
                    {
                        assignmentChanged = false;
                        paused = PauseOrResume(consumer, pause: false);
                    }

                    var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                    if (result is not null && !result.IsPartitionEOF && _partitionStops.TryGetValue(result.TopicPartition, out var partitionStop))
                    {
                        telemetry.Consumed.Add(1);
                        _offsets.Received(result.TopicPartitionOffset);
                        Interlocked.Increment(ref _waiting);
                        received.TryWrite(new Received(result, partitionStop.Token));
                    }

                    if (Stopwatch.GetElapsedTime(lastCommit) >= CommitInterval)
                    {
                        Commit(consumer, null);
                        ReportLag(consumer);
                        lastCommit = Stopwatch.GetTimestamp();
                    }

                    loopBackoff = Backoff.Start(settings.RetryBackoffMilliseconds);
                }
                catch (ConsumeException ex)
                {
                    LogConsumeError(ex);
                }
#pragma warning disable CA1031 // Nothing may end the consumer loop but shutdown (NFR-9).
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    var wait = loopBackoff.Next();
                    LogLoopError(ex, wait.TotalSeconds);
                    stoppingToken.WaitHandle.WaitOne(wait);
                }
            }
        }
        finally
        {
            // Shutdown: the running tasks give their images back (the token is cancelled); what was
            // done before is committed, the rest is delivered to another member.
            received.TryComplete();
            var deadline = Stopwatch.StartNew();
            while (_offsets.InFlight > 0 && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                Thread.Sleep(20);
            }

            Commit(consumer, null);
            consumer.Close();
        }
    }

    /// <summary>Pauses or resumes the assignment; true when it is paused afterwards.</summary>
    private bool PauseOrResume(IConsumer<string, byte[]> consumer, bool pause)
    {
        try
        {
            if (pause)
            {
                consumer.Pause(consumer.Assignment);
            }
            else
            {
                consumer.Resume(consumer.Assignment);
            }

            return pause;
        }
        catch (KafkaException ex)
        {
            // In the middle of a rebalance a partition may be on its way out: tried again next turn.
            LogPauseFailed(ex, pause ? "pause" : "resume");
            return !pause;
        }
    }

    /// <summary>One of IMG_KAFKA_MAX_IN_FLIGHT runners: takes the received tasks one by one.</summary>
    private async Task RunAsync(ChannelReader<Received> received, BrokerOptions settings, IProducer<string, byte[]> deadLetters, CancellationToken stoppingToken)
    {
        await foreach (var (result, partitionStop) in received.ReadAllAsync(CancellationToken.None))
        {
            Interlocked.Decrement(ref _waiting);
            if (partitionStop.IsCancellationRequested || stoppingToken.IsCancellationRequested)
            {
                continue; // Its partition went to another member, or the Worker stops: delivered again.
            }

            var started = Stopwatch.GetTimestamp();
            _offsets.Began(result.TopicPartitionOffset);
            var done = false;
            try
            {
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(partitionStop, stoppingToken);
                done = await HandleAsync(result, settings, deadLetters, stop.Token);
            }
            finally
            {
                _offsets.Ended(result.TopicPartitionOffset, done);
            }

            if (done)
            {
                telemetry.ConsumeLatency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        }
    }

    /// <summary>
    /// Partitions leave this member: on a revoke its tasks there get a short grace, then are stopped,
    /// and what finished is committed; when they were lost (the group moved on without us) nothing is
    /// committed. Either way unfinished tasks are delivered to the new owner.
    /// </summary>
    private void Revoked(IConsumer<string, byte[]> consumer, List<TopicPartition> partitions, bool commit)
    {
        LogRevoked(string.Join(",", partitions.Select(p => p.Partition.Value)), commit ? "revoked" : "lost");
        var grace = Stopwatch.StartNew();
        while (commit && _offsets.InFlightOn(partitions) > 0 && grace.Elapsed < RevokeGrace)
        {
            Thread.Sleep(20);
        }

        foreach (var partition in partitions)
        {
            if (_partitionStops.TryRemove(partition, out var stop))
            {
                stop.Cancel();
                stop.Dispose();
            }
        }

        // Stopped tasks give their images back within moments (a decode checks its token per row);
        // wait for that, briefly, before the next owner starts.
        var deadline = Stopwatch.StartNew();
        while (_offsets.InFlightOn(partitions) > 0 && deadline.Elapsed < TimeSpan.FromSeconds(2))
        {
            Thread.Sleep(20);
        }

        if (commit)
        {
            Commit(consumer, partitions);
        }

        _offsets.Forget(partitions);
    }

    private void Commit(IConsumer<string, byte[]> consumer, List<TopicPartition>? only)
    {
        var offsets = _offsets.Committable(only);
        if (offsets.Count == 0)
        {
            return;
        }

        try
        {
            consumer.Commit(offsets);
            _offsets.MarkCommitted(offsets);
        }
        catch (KafkaException ex)
        {
            // During a rebalance: the offsets are offered again, or the tasks seen again by their next owner.
            telemetry.CommitFailures.Add(1);
            LogCommitFailed(ex, string.Join(",", offsets.Select(o => $"{o.Partition.Value}@{o.Offset.Value}")));
        }
    }

    /// <summary>
    /// True when the task is done with (its offset may be committed); false when it was stopped
    /// (shutdown or its partition revoked) and must be delivered again. An image's own fault ends it
    /// failed (the handler decides); anything else thrown here is the infrastructure's (database,
    /// storage) and is retried with backoff for as long as it takes, never turned into a failed image
    /// (NFR-9). The offset waits, so the task is not lost if this process dies meanwhile.
    /// </summary>
    private async Task<bool> HandleAsync(ConsumeResult<string, byte[]> result, BrokerOptions settings, IProducer<string, byte[]> deadLetters, CancellationToken stop)
    {
        using var activity = MessagingTelemetry.StartProcess(result);
        var task = ProcessingTask.TryParse(result.Message.Value);
        if (task is null)
        {
            LogPoison(result.Partition.Value, result.Offset.Value);
            return await DeadLetterAsync(deadLetters, settings, result, "Poison message: the value is not a processing task.", stop);
        }

        activity?.SetTag("image.id", task.ImageId.ToString());
        var backoff = Backoff.Start(settings.RetryBackoffMilliseconds);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var image = await scope.ServiceProvider.GetRequiredService<ProcessImageHandler>().HandleAsync(task.ImageId, stop);
                activity?.SetTag("image.status", image.Status);

                // A failed image is recorded on the dead-letter topic too, for whoever watches it.
                return image.Status != ImageStatus.Failed.ToContract()
                    || await DeadLetterAsync(deadLetters, settings, result, image.Error ?? "Processing failed.", stop);
            }
            catch (NotFoundException)
            {
                activity?.SetTag("image.status", "not_found");
                LogDeleted(task.ImageId);
                return true;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return false;
            }
#pragma warning disable CA1031 // Infrastructure faults are waited out: they must not stop the consumer.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                var wait = backoff.Next();
                LogAttemptFailed(ex, task.ImageId, attempt, wait.TotalSeconds);
                telemetry.ProcessingRetries.Add(1);
                if (!await DelayAsync(wait, stop))
                {
                    return false;
                }
            }
        }
    }

    /// <summary>
    /// Publishes to the dead-letter topic, retrying with backoff while the broker is away; returns
    /// false only when stopped (the offset then stays uncommitted and the task is seen again).
    /// </summary>
    private async Task<bool> DeadLetterAsync(IProducer<string, byte[]> producer, BrokerOptions settings, ConsumeResult<string, byte[]> result, string reason, CancellationToken stop)
    {
        var headers = new Headers();
        foreach (var header in result.Message.Headers ?? [])
        {
            headers.Add(header.Key, header.GetValueBytes());
        }

        headers.Add(ReasonHeader, Encoding.UTF8.GetBytes(reason));
        headers.Add("dlq-source", Encoding.UTF8.GetBytes($"{result.Topic}/{result.Partition.Value.ToString(CultureInfo.InvariantCulture)}/{result.Offset.Value.ToString(CultureInfo.InvariantCulture)}"));
        var message = new Message<string, byte[]> { Key = result.Message.Key, Value = result.Message.Value, Headers = headers };
        var backoff = Backoff.Start(settings.RetryBackoffMilliseconds);
        while (true)
        {
            try
            {
                await producer.ProduceAsync(settings.DeadLetterTopic, message, stop);
                telemetry.DeadLettered.Add(1);
                LogDeadLettered(result.Message.Key ?? "(no key)", reason);
                return true;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return false;
            }
            catch (KafkaException ex)
            {
                var wait = backoff.Next();
                LogDeadLetterFailed(ex, result.Message.Key ?? "(no key)", wait.TotalSeconds);
                if (!await DelayAsync(wait, stop))
                {
                    return false;
                }
            }
        }
    }

    private static async Task<bool> DelayAsync(TimeSpan wait, CancellationToken stop)
    {
        try
        {
            await Task.Delay(wait, stop);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void ReportLag(IConsumer<string, byte[]> consumer)
    {
        long lag = 0;
        foreach (var partition in consumer.Assignment)
        {
            var watermarks = consumer.GetWatermarkOffsets(partition);
            var position = consumer.Position(partition);
            if (watermarks.High.Value >= 0 && position.Value >= 0)
            {
                lag += Math.Max(0, watermarks.High.Value - position.Value);
            }
        }

        telemetry.SetConsumerLag(lag);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Assigned partitions [{Partitions}]")]
    private partial void LogAssigned(string partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Partitions [{Partitions}] {How}")]
    private partial void LogRevoked(string partitions, string how);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka error {Code}: {Reason}")]
    private partial void LogKafkaError(string code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not consume")]
    private partial void LogConsumeError(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Offset commit refused ({Offsets}); offered again, or the tasks are seen again by the partitions' next owner")]
    private partial void LogCommitFailed(Exception exception, string offsets);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not {What} the assigned partitions; tried again")]
    private partial void LogPauseFailed(Exception exception, string what);

    [LoggerMessage(Level = LogLevel.Error, Message = "Poison message at partition {Partition} offset {Offset}")]
    private partial void LogPoison(int partition, long offset);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task for image {ImageId}, which no longer exists: acknowledged")]
    private partial void LogDeleted(Guid imageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Attempt {Attempt} for image {ImageId} hit an infrastructure fault; retrying in {WaitSeconds:F1} s")]
    private partial void LogAttemptFailed(Exception exception, Guid imageId, int attempt, double waitSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish task {Key} to the dead-letter topic; retrying in {WaitSeconds:F1} s")]
    private partial void LogDeadLetterFailed(Exception exception, string key, double waitSeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer loop failed; it goes on after {WaitSeconds:F1} s")]
    private partial void LogLoopError(Exception exception, double waitSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {Key} sent to the dead-letter topic: {Reason}")]
    private partial void LogDeadLettered(string key, string reason);

    /// <summary>A task received, with the token that stops it when its partition leaves this member.</summary>
    private readonly record struct Received(ConsumeResult<string, byte[]> Result, CancellationToken PartitionStop);
}
