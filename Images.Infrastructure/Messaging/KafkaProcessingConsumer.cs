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

namespace Images.Infrastructure.Messaging;

/// <summary>
/// The Worker's consumers (FR-2.7): members of IMG_KAFKA_CONSUMER_GROUP that process each task with
/// the ProcessImage use case and commit its offset only after the image's new state is persisted.
/// A failing task is retried with backoff, then the image is marked failed and the task goes to the
/// dead-letter topic, so one poison message never blocks its partition. On shutdown the in-flight
/// image is released (back to pending) and its offset left uncommitted, so another member takes it.
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
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ConsumeResult<string, byte[]>? result;
                try
                {
                    result = consumer.Consume(TimeSpan.FromMilliseconds(250));
                }
                catch (ConsumeException ex)
                {
                    LogConsumeError(ex, index);
                    continue;
                }

                if (result is null || result.IsPartitionEOF)
                {
                    ReportLag(consumer, index);
                    continue;
                }

                telemetry.Consumed.Add(1);
                var started = Stopwatch.GetTimestamp();
                if (!await HandleAsync(result, settings, deadLetters, stoppingToken))
                {
                    break; // Shutting down mid-task: leave the offset uncommitted.
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
            }
        }
        finally
        {
            consumer.Close();
        }
    }

    /// <summary>Returns false only when shutdown interrupted the task.</summary>
    private async Task<bool> HandleAsync(ConsumeResult<string, byte[]> result, BrokerOptions settings, IProducer<string, byte[]> deadLetters, CancellationToken stoppingToken)
    {
        using var activity = MessagingTelemetry.StartProcess(result);
        var task = ProcessingTask.TryParse(result.Message.Value);
        if (task is null)
        {
            LogPoison(result.Partition.Value, result.Offset.Value);
            await DeadLetterAsync(deadLetters, settings, result, "Poison message: the value is not a processing task.");
            return true;
        }

        activity?.SetTag("image.id", task.ImageId.ToString());
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var image = await scope.ServiceProvider.GetRequiredService<ProcessImageHandler>().HandleAsync(task.ImageId, stoppingToken);
                if (image is null)
                {
                    LogDeleted(task.ImageId);
                }
                else if (image.Status == ImageStatus.Failed)
                {
                    await DeadLetterAsync(deadLetters, settings, result, image.Error ?? "Processing failed.");
                }

                activity?.SetTag("image.status", image?.Status.ToContract() ?? "not_found");
                return true;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return false;
            }
#pragma warning disable CA1031 // Any failure is retried, then dead-lettered: it must not stop the consumer.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogAttemptFailed(ex, task.ImageId, attempt, settings.MaxAttempts);
                if (attempt >= settings.MaxAttempts)
                {
                    var reason = $"Processing failed after {attempt} attempts: {ex.GetType().Name}.";
                    await TryMarkFailedAsync(task.ImageId, reason, stoppingToken);
                    await DeadLetterAsync(deadLetters, settings, result, reason);
                    activity?.SetStatus(ActivityStatusCode.Error, reason);
                    return true;
                }

                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(settings.RetryBackoffMilliseconds * Math.Pow(2, attempt - 1)), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
        }
    }

    private async Task TryMarkFailedAsync(Guid imageId, string reason, CancellationToken stoppingToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<MarkImageFailedHandler>().HandleAsync(imageId, reason, stoppingToken);
        }
#pragma warning disable CA1031 // The database may be what failed; recovery releases the image later.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogMarkFailedError(ex, imageId);
        }
    }

    private async Task DeadLetterAsync(IProducer<string, byte[]> producer, BrokerOptions settings, ConsumeResult<string, byte[]> result, string reason)
    {
        var headers = new Headers();
        foreach (var header in result.Message.Headers ?? [])
        {
            headers.Add(header.Key, header.GetValueBytes());
        }

        headers.Add(ReasonHeader, Encoding.UTF8.GetBytes(reason));
        headers.Add("dlq-source", Encoding.UTF8.GetBytes($"{result.Topic}/{result.Partition.Value.ToString(CultureInfo.InvariantCulture)}/{result.Offset.Value.ToString(CultureInfo.InvariantCulture)}"));
        await producer.ProduceAsync(settings.DeadLetterTopic, new Message<string, byte[]>
        {
            Key = result.Message.Key,
            Value = result.Message.Value,
            Headers = headers,
        });
        telemetry.DeadLettered.Add(1);
        LogDeadLettered(result.Message.Key ?? "(no key)", reason);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Attempt {Attempt} of {MaxAttempts} for image {ImageId} failed")]
    private partial void LogAttemptFailed(Exception exception, Guid imageId, int attempt, int maxAttempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not mark image {ImageId} failed")]
    private partial void LogMarkFailedError(Exception exception, Guid imageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {Key} sent to the dead-letter topic: {Reason}")]
    private partial void LogDeadLettered(string key, string reason);
}
