using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Confluent.Kafka;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace Images.Infrastructure.Messaging.Kafka;

/// <summary>
/// The Kafka adapter's ActivitySource and Meter (FR-5.3). Trace context travels in the message
/// headers through OpenTelemetry's propagator (W3C traceparent and baggage), as eShop's event bus
/// does, so the Worker's processing span continues the upload's trace.
/// </summary>
public sealed class MessagingTelemetry : IDisposable
{
    public const string Name = "Images.Messaging";
    public const string TraceParentHeader = "traceparent";

    public static readonly ActivitySource Source = new(Name);

    /// <summary>OpenTelemetry's W3C trace-context and baggage propagation, as every OpenTelemetry SDK reads it.</summary>
    private static readonly TextMapPropagator Propagator = new CompositeTextMapPropagator([new TraceContextPropagator(), new BaggagePropagator()]);

    private readonly Meter _meter;
    private long _consumerLag;
    private long _outboxBacklog;

    public MessagingTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        Published = _meter.CreateCounter<long>("broker_messages_published", description: "Processing tasks published to Kafka.");
        PublishErrors = _meter.CreateCounter<long>("broker_publish_errors", description: "Processing tasks that could not be published (they stay in the outbox).");
        Consumed = _meter.CreateCounter<long>("broker_messages_consumed", description: "Processing tasks consumed from Kafka.");
        DeadLettered = _meter.CreateCounter<long>("broker_messages_dead_lettered", description: "Tasks sent to the dead-letter topic.");
        CommitFailures = _meter.CreateCounter<long>("broker_commit_failures", description: "Offset commits refused (rebalance); the message is seen again.");
        ProcessingRetries = _meter.CreateCounter<long>("broker_processing_retries", description: "Tasks retried after an infrastructure fault (database, storage).");
        ConsumeLatency = _meter.CreateHistogram<double>("broker_consumer_processing_duration", unit: "s", description: "Time from receiving a task to committing it.");
        // Counters start at zero so that dashboards and alerts see them before the first event.
        foreach (var counter in new[] { Published, PublishErrors, Consumed, DeadLettered, CommitFailures, ProcessingRetries })
        {
            counter.Add(0);
        }

        _meter.CreateObservableGauge("broker_outbox_backlog", () => Interlocked.Read(ref _outboxBacklog), description: "Unpublished tasks in the outbox.");
        _meter.CreateObservableGauge("broker_consumer_lag", () => Interlocked.Read(ref _consumerLag), description: "Messages behind the end of the assigned partitions.");
    }

    public Counter<long> Published { get; }

    public Counter<long> PublishErrors { get; }

    public Counter<long> Consumed { get; }

    public Counter<long> DeadLettered { get; }

    public Counter<long> CommitFailures { get; }

    public Counter<long> ProcessingRetries { get; }

    public Histogram<double> ConsumeLatency { get; }

    public void SetOutboxBacklog(long value) => Interlocked.Exchange(ref _outboxBacklog, value);

    public void SetConsumerLag(long value) => Interlocked.Exchange(ref _consumerLag, value);

    /// <summary>
    /// The relay's publish span, a child of the upload (its traceparent stored in the outbox row):
    /// api -> outbox -> Kafka -> worker is one trace (FR-5.3, NFR-10).
    /// </summary>
    public static Activity? StartPublish(string topic, string? uploadTraceParent)
    {
        var activity = Source.StartActivity($"{topic} publish", ActivityKind.Producer, Upload(uploadTraceParent).ActivityContext);
        activity?.SetTag("messaging.system", "kafka");
        activity?.SetTag("messaging.operation.type", "publish");
        activity?.SetTag("messaging.destination.name", topic);
        return activity;
    }

    /// <summary>The Worker's process span, continuing the trace the message's headers carry.</summary>
    public static Activity? StartProcess(ConsumeResult<string, byte[]> result)
    {
        var parent = Propagator.Extract(default, result.Message.Headers, static (headers, key) =>
            headers?.Where(h => h.Key == key).Select(h => Encoding.UTF8.GetString(h.GetValueBytes())) ?? []);
        Baggage.Current = parent.Baggage;
        var activity = Source.StartActivity($"{result.Topic} process", ActivityKind.Consumer, parent.ActivityContext);
        activity?.SetTag("messaging.system", "kafka");
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("messaging.destination.name", result.Topic);
        activity?.SetTag("messaging.destination.partition.id", result.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        activity?.SetTag("messaging.kafka.offset", result.Offset.Value);
        activity?.SetTag("messaging.kafka.message.key", result.Message.Key);
        return activity;
    }

    /// <summary>
    /// Headers carrying the current span (the publish span) and baggage to the consumer; when no
    /// span is recorded (no listener), the upload's own context, so the chain is never cut.
    /// </summary>
    public static Headers TraceHeaders(string? uploadTraceParent)
    {
        var headers = new Headers();
        var context = Activity.Current?.Context ?? Upload(uploadTraceParent).ActivityContext;
        if (context != default)
        {
            Propagator.Inject(new PropagationContext(context, Baggage.Current), headers, static (carrier, key, value) => carrier.Add(key, Encoding.UTF8.GetBytes(value)));
        }

        return headers;
    }

    /// <summary>The upload's context, from the traceparent its outbox row stored.</summary>
    private static PropagationContext Upload(string? traceParent) =>
        Propagator.Extract(default, traceParent, static (carrier, key) => key == TraceParentHeader && carrier is not null ? [carrier] : []);

    public void Dispose() => _meter.Dispose();
}
