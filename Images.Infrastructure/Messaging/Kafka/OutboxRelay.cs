using Confluent.Kafka;
using Images.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Messaging.Kafka;

/// <summary>
/// Publishes the outbox's unsent tasks to Kafka (idempotent producer, acks=all, key = image id)
/// and marks them sent (FR-2.7). Replicas split the rows with SKIP LOCKED. While Kafka is away the
/// rows wait and the relay backs off; publishing a row twice is harmless (processing is idempotent).
/// Tasks go to the topic's partitions in turn rather than by a hash of the key: a backlog is then
/// split evenly between the Workers, where hashing random ids left one Worker with 60 % of it and
/// the other idle at the end (ADR 9). Nothing needs one image's tasks in one partition: the
/// processing lease (ADR 7) keeps two Workers off the same image.
/// </summary>
public sealed partial class OutboxRelay(
    IServiceScopeFactory scopes,
    IOptions<BrokerOptions> options,
    OutboxSignal signal,
    MessagingTelemetry telemetry,
    TimeProvider clock,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    private static readonly TimeSpan KeepSent = TimeSpan.FromHours(1);
    private static readonly TimeSpan PartitionsRefresh = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan PartitionsRetry = TimeSpan.FromSeconds(5);

    private int _partitions;
    private long _next;
    private DateTimeOffset _partitionsDue = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        await Task.Yield();
        await KafkaClientConfig.EnsureTopicsAsync(settings, logger);
        using var producer = new ProducerBuilder<string, byte[]>(KafkaClientConfig.Producer(settings, $"images-api-{Environment.MachineName}"))
            .SetLogHandler((_, message) => LogKafka(message.Level.ToString(), message.Message))
            .Build();
        var backoff = TimeSpan.Zero;
        var lastPurge = DateTimeOffset.MinValue;

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var (published, failed, more) = await PublishBatchAsync(producer, settings, stoppingToken);
                backoff = failed > 0 ? Next(backoff) : TimeSpan.Zero;
                if (clock.GetUtcNow() - lastPurge > TimeSpan.FromMinutes(5))
                {
                    await PurgeSentAsync(stoppingToken);
                    lastPurge = clock.GetUtcNow();
                }

                if (failed > 0)
                {
                    LogPublishFailed(failed, backoff.TotalSeconds);
                    await Task.Delay(backoff, clock, stoppingToken);
                }
                else if (!more)
                {
                    await signal.WaitAsync(TimeSpan.FromMilliseconds(settings.OutboxPollIntervalMilliseconds), stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // The relay must outlive a database or broker outage.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                backoff = Next(backoff);
                LogRelayError(ex, backoff.TotalSeconds);
                await Task.Delay(backoff, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }

        producer.Flush(TimeSpan.FromSeconds(5));
    }

    private async Task<(int Published, int Failed, bool More)> PublishBatchAsync(IProducer<string, byte[]> producer, BrokerOptions settings, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ImagesDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var rows = await db.Outbox
            .FromSql($"""
                SELECT * FROM processing_outbox WHERE sent_at IS NULL
                ORDER BY id LIMIT {settings.OutboxBatchSize}
                FOR UPDATE SKIP LOCKED
                """)
            .ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            // Rows another relay holds right now were skipped, not sent: count them all.
            telemetry.SetOutboxBacklog(await db.Outbox.CountAsync(m => m.SentAt == null, cancellationToken));
            return (0, 0, false);
        }

        var partitions = PartitionCount(producer, settings);
        var deliveries = rows.Select(row =>
        {
            using var activity = MessagingTelemetry.StartPublish(settings.Topic, row.TraceParent);
            activity?.SetTag("messaging.kafka.message.key", row.ImageId.ToString());
            var partition = partitions > 0 ? new Partition((int)(_next++ % partitions)) : Partition.Any;
            return producer.ProduceAsync(new TopicPartition(settings.Topic, partition), new Message<string, byte[]>
            {
                Key = row.ImageId.ToString(),
                Value = new ProcessingTask(row.ImageId, row.CreatedAt).Serialize(),
                Headers = MessagingTelemetry.TraceHeaders(row.TraceParent),
            }, CancellationToken.None);
        }).ToList();

        var failed = 0;
        var now = clock.GetUtcNow();
        for (var i = 0; i < rows.Count; i++)
        {
            try
            {
                await deliveries[i];
                rows[i].SentAt = now;
                telemetry.Published.Add(1);
            }
            catch (ProduceException<string, byte[]> ex)
            {
                failed++;
                rows[i].Attempts++;
                rows[i].LastError = ex.Error.Reason.Length <= 2000 ? ex.Error.Reason : ex.Error.Reason[..2000];
                telemetry.PublishErrors.Add(1);
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        telemetry.SetOutboxBacklog(await db.Outbox.CountAsync(m => m.SentAt == null, cancellationToken));
        return (rows.Count - failed, failed, rows.Count == settings.OutboxBatchSize && failed == 0);
    }

    /// <summary>
    /// The topic's partition count from the broker's metadata, read again every minute (partitions
    /// may be added); 0 while it is unknown, and the producer then partitions by key.
    /// </summary>
    private int PartitionCount(IProducer<string, byte[]> producer, BrokerOptions settings)
    {
        if (clock.GetUtcNow() < _partitionsDue)
        {
            return _partitions;
        }

        // Unknown (the broker away, the topic not there yet): asked again soon.
        _partitionsDue = clock.GetUtcNow() + PartitionsRetry;
        try
        {
            using var admin = new DependentAdminClientBuilder(producer.Handle).Build();
            var topic = admin.GetMetadata(settings.Topic, TimeSpan.FromSeconds(2)).Topics.FirstOrDefault(t => t.Topic == settings.Topic);
            var count = topic is not null && topic.Error.Code == ErrorCode.NoError ? topic.Partitions.Count : 0;
            if (count != _partitions)
            {
                LogPartitions(settings.Topic, count);
            }

            _partitions = count;
            if (count > 0)
            {
                _partitionsDue = clock.GetUtcNow() + PartitionsRefresh;
            }
        }
        catch (KafkaException ex)
        {
            // Keep the last count; with none, keys decide.
            LogPartitionsUnknown(ex, settings.Topic);
        }

        return _partitions;
    }

    private async Task PurgeSentAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ImagesDbContext>();
        var before = clock.GetUtcNow() - KeepSent;
        await db.Outbox.Where(m => m.SentAt != null && m.SentAt < before).ExecuteDeleteAsync(cancellationToken);
    }

    private TimeSpan Next(TimeSpan backoff) =>
        backoff == TimeSpan.Zero
            ? TimeSpan.FromMilliseconds(Math.Min(500, options.Value.OutboxMaxBackoffMilliseconds))
            : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMilliseconds(options.Value.OutboxMaxBackoffMilliseconds).Ticks));

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Failed} processing tasks could not be published to Kafka; they stay in the outbox (retry in {BackoffSeconds:F1} s)")]
    private partial void LogPublishFailed(int failed, double backoffSeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox relay failed; retrying in {BackoffSeconds:F1} s")]
    private partial void LogRelayError(Exception exception, double backoffSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Publishing processing tasks to the {Partitions} partitions of {Topic} in turn (0: by key)")]
    private partial void LogPartitions(string topic, int partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the partitions of {Topic}; tasks are partitioned by key until they are known")]
    private partial void LogPartitionsUnknown(Exception exception, string topic);

    [LoggerMessage(Level = LogLevel.Debug, Message = "librdkafka {Level}: {Message}")]
    private partial void LogKafka(string level, string message);
}
