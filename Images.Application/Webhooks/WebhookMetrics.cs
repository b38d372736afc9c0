using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Images.Application.Webhooks;

/// <summary>
/// Webhook telemetry (FR-10, FR-5.3): webhook_delivery_attempts_total by outcome (delivered,
/// failed), webhook_deliveries_dead_total, webhook_delivery_lag_seconds (now minus the event time
/// of the oldest delivery not yet delivered or dead), and the delivery spans' ActivitySource.
/// </summary>
public sealed class WebhookMetrics : IDisposable
{
    public const string Name = "Images.Webhooks";

    public static readonly ActivitySource Source = new(Name);

    private readonly Meter _meter;
    private readonly Counter<long> _attempts;
    private readonly Counter<long> _dead;
    private double _lagSeconds;

    public WebhookMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        _attempts = _meter.CreateCounter<long>("webhook_delivery_attempts", description: "Webhook delivery attempts by outcome (delivered: a 2xx answer; failed: anything else, retried later).");
        _dead = _meter.CreateCounter<long>("webhook_deliveries_dead", description: "Webhook deliveries given up after the retry window (IMG_WEBHOOK_RETRY_WINDOW_SECONDS).");
        _meter.CreateObservableGauge("webhook_delivery_lag", () => Volatile.Read(ref _lagSeconds), unit: "s", description: "Age of the oldest webhook event not yet delivered (0 when none waits).");
        _attempts.Add(0, new KeyValuePair<string, object?>("outcome", "delivered"));
        _attempts.Add(0, new KeyValuePair<string, object?>("outcome", "failed"));
        _dead.Add(0);
    }

    public void Attempted(bool delivered, string eventType) =>
        _attempts.Add(1, new TagList { { "outcome", delivered ? "delivered" : "failed" }, { "type", eventType } });

    public void Dead(string eventType) => _dead.Add(1, new KeyValuePair<string, object?>("type", eventType));

    public void SetLag(TimeSpan lag) => Volatile.Write(ref _lagSeconds, Math.Max(0, lag.TotalSeconds));

    public void Dispose() => _meter.Dispose();
}
