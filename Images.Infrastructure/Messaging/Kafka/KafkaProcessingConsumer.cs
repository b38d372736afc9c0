using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Images.Application.Common;
using Images.Application.Images.Process;
using Images.Domain.Images;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Messaging.Kafka;

/// <summary>
/// The Worker's consumers (FR-2.7): members of IMG_KAFKA_CONSUMER_GROUP that process each task with
/// the ProcessImage use case and commit its offset only after the image's new state is persisted.
/// An image that fails (its own fault) is recorded on the dead-letter topic; a task that meets an
/// infrastructure fault is retried with capped backoff until it goes through, never failed (NFR-9).
/// On shutdown the in-flight image is released (back to pending) and its offset left uncommitted,
/// so another member takes it.
/// </summary>
public sealed partial class KafkaProcessingConsumer(
    IServiceScopeFactory scopes,
    IOptions<BrokerOptions> options,
    MessagingTelemetry telemetry,
    ILogger<KafkaProcessingConsumer> logger) : BackgroundService
{
    public const string ReasonHeader = "dlq-reason";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        await Task.Yield();
        await KafkaClientConfig.EnsureTopicsAsync(settings, logger);
        using var deadLetters = new ProducerBuilder<string, byte[]>(KafkaClientConfig.Producer(settings, $"images-worker-dlq-{Environment.MachineName}")).Build();
        var loops = Enumerable.Range(0, settings.ConsumersPerWorker)
            .Select(i => Task.Factory.StartNew(() => ConsumeAsync(i, settings, deadLetters, stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap());
        await Task.WhenAll(loops);
        deadLetters.Flush(TimeSpan.FromSeconds(5));
    }

    private async Task ConsumeAsync(int index, BrokerOptions settings, IProducer<string, byte[]> deadLetters, CancellationToken stoppingToken)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(KafkaClientConfig.Consumer(settings, $"images-worker-{Environment.MachineName}-{index}"))
            .SetPartitionsAssignedHandler((_, partitions) => LogAssigned(index, string.Join(",", partitions.Select(p => p.Partition.Value))))
            .SetPartitionsRevokedHandler((_, partitions) => LogRevoked(index, string.Join(",", partitions.Select(p => p.Partition.Value))))
            .SetErrorHandler((_, error) => LogKafkaError(index, error.Code.ToString(), error.Reason))
            .Build();
        consumer.Subscribe(settings.Topic);
        var loopBackoff = Backoff.Start(settings.RetryBackoffMilliseconds);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (!await ConsumeOneAsync(consumer, index, settings, deadLetters, stoppingToken))
                    {
                        break; // Shutting down mid-task: leave the offset uncommitted.
                    }

                    loopBackoff = Backoff.Start(settings.RetryBackoffMilliseconds);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
#pragma warning disable CA1031 // Nothing may end the consumer loop but shutdown (NFR-9).
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    var wait = loopBackoff.Next();
                    LogLoopError(ex, index, wait.TotalSeconds);
                    if (!await DelayAsync(wait, stoppingToken))
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            consumer.Close();
        }
    }

    /// <summary>Consumes, handles and commits at most one task; false when shutdown interrupted it.</summary>
    private async Task<bool> ConsumeOneAsync(IConsumer<string, byte[]> consumer, int index, BrokerOptions settings, IProducer<string, byte[]> deadLetters, CancellationToken stoppingToken)
    {
        ConsumeResult<string, byte[]>? result;
        try
        {
            result = consumer.Consume(TimeSpan.FromMilliseconds(250));
        }
        catch (ConsumeException ex)
        {
            LogConsumeError(ex, index);
            return true;
        }

        if (result is null || result.IsPartitionEOF)
        {
            ReportLag(consumer, index);
            return true;
        }

        telemetry.Consumed.Add(1);
        var started = Stopwatch.GetTimestamp();
        if (!await HandleAsync(result, settings, deadLetters, stoppingToken))
        {
            return false;
        }

        try
        {
            consumer.Commit(result);
        }
        catch (KafkaException ex)
        {
            // Expected during a rebalance: the message will simply be seen again.
            telemetry.CommitFailures.Add(1);
            LogCommitFailed(ex, result.Partition.Value, result.Offset.Value);
        }

        telemetry.ConsumeLatency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        ReportLag(consumer, index);
        return true;
    }

    /// <summary>
    /// Returns false only when shutdown interrupted the task. An image's own fault ends it failed
    /// (the handler decides); anything else thrown here is the infrastructure's (database, storage)
    /// and is retried with backoff for as long as it takes, never turned into a failed image
    /// (NFR-9). The offset waits, so the task is not lost if this process dies meanwhile.
    /// </summary>
    private async Task<bool> HandleAsync(ConsumeResult<string, byte[]> result, BrokerOptions settings, IProducer<string, byte[]> deadLetters, CancellationToken stoppingToken)
    {
        using var activity = MessagingTelemetry.StartProcess(result);
        var task = ProcessingTask.TryParse(result.Message.Value);
        if (task is null)
        {
            LogPoison(result.Partition.Value, result.Offset.Value);
            return await DeadLetterAsync(deadLetters, settings, result, "Poison message: the value is not a processing task.", stoppingToken);
        }

        activity?.SetTag("image.id", task.ImageId.ToString());
        var backoff = Backoff.Start(settings.RetryBackoffMilliseconds);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var image = await scope.ServiceProvider.GetRequiredService<ProcessImageHandler>().HandleAsync(task.ImageId, stoppingToken);
                activity?.SetTag("image.status", image.Status);

                // A failed image is recorded on the dead-letter topic too, for whoever watches it.
                return image.Status != ImageStatus.Failed.ToContract()
                    || await DeadLetterAsync(deadLetters, settings, result, image.Error ?? "Processing failed.", stoppingToken);
            }
            catch (NotFoundException)
            {
                activity?.SetTag("image.status", "not_found");
                LogDeleted(task.ImageId);
                return true;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
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
                if (!await DelayAsync(wait, stoppingToken))
                {
                    return false;
                }
            }
        }
    }

    /// <summary>
    /// Publishes to the dead-letter topic, retrying with backoff while the broker is away; returns
    /// false only at shutdown (the offset then stays uncommitted and the task is seen again).
    /// </summary>
    private async Task<bool> DeadLetterAsync(IProducer<string, byte[]> producer, BrokerOptions settings, ConsumeResult<string, byte[]> result, string reason, CancellationToken stoppingToken)
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
                await producer.ProduceAsync(settings.DeadLetterTopic, message, stoppingToken);
                telemetry.DeadLettered.Add(1);
                LogDeadLettered(result.Message.Key ?? "(no key)", reason);
                return true;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return false;
            }
            catch (KafkaException ex)
            {
                var wait = backoff.Next();
                LogDeadLetterFailed(ex, result.Message.Key ?? "(no key)", wait.TotalSeconds);
                if (!await DelayAsync(wait, stoppingToken))
                {
                    return false;
                }
            }
        }
    }

    private static async Task<bool> DelayAsync(TimeSpan wait, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(wait, stoppingToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void ReportLag(IConsumer<string, byte[]> consumer, int index)
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

        telemetry.SetConsumerLag(index, lag);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer {Consumer} assigned partitions [{Partitions}]")]
    private partial void LogAssigned(int consumer, string partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer {Consumer} lost partitions [{Partitions}]")]
    private partial void LogRevoked(int consumer, string partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: Kafka error {Code}: {Reason}")]
    private partial void LogKafkaError(int consumer, string code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} could not consume")]
    private partial void LogConsumeError(Exception exception, int consumer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Offset commit refused for partition {Partition} offset {Offset}; the task will be seen again")]
    private partial void LogCommitFailed(Exception exception, int partition, long offset);

    [LoggerMessage(Level = LogLevel.Error, Message = "Poison message at partition {Partition} offset {Offset}")]
    private partial void LogPoison(int partition, long offset);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task for image {ImageId}, which no longer exists: acknowledged")]
    private partial void LogDeleted(Guid imageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Attempt {Attempt} for image {ImageId} hit an infrastructure fault; retrying in {WaitSeconds:F1} s")]
    private partial void LogAttemptFailed(Exception exception, Guid imageId, int attempt, double waitSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish task {Key} to the dead-letter topic; retrying in {WaitSeconds:F1} s")]
    private partial void LogDeadLetterFailed(Exception exception, string key, double waitSeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Consumer} loop failed; it goes on after {WaitSeconds:F1} s")]
    private partial void LogLoopError(Exception exception, int consumer, double waitSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {Key} sent to the dead-letter topic: {Reason}")]
    private partial void LogDeadLettered(string key, string reason);
}
