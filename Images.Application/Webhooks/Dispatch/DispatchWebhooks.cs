using System.Diagnostics;
using Images.Application.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Application.Webhooks.Dispatch;

/// <summary>
/// FR-10.2: one round of the webhook dispatcher. Takes the due deliveries no other replica holds,
/// sends each signed (Standard Webhooks) in a span that continues the image's trace, and stores the
/// outcome: delivered on a 2xx, else another attempt after an exponential, jittered delay, until the
/// retry window after the event has passed: then dead. A dispatcher that dies between the send and
/// the record leaves the lease to lapse, and the delivery is sent again (at least once).
/// </summary>
public sealed partial class DispatchWebhooksHandler(
    IWebhookStore store,
    IWebhookSender sender,
    WebhookMetrics metrics,
    IOptions<WebhookOptions> options,
    TimeProvider clock,
    ILogger<DispatchWebhooksHandler> logger)
{
    /// <summary>Sends what is due; returns how many deliveries it took (a full batch: call again at once).</summary>
    public async Task<int> HandleAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        // The lease outlasts an attempt (its timeout) with a margin, so a live dispatcher never loses it.
        var due = await store.ClaimDueAsync(now, now + (settings.Timeout * 2) + TimeSpan.FromSeconds(10), settings.Concurrency, cancellationToken);
        if (due.Count > 0)
        {
            var outcomes = await Task.WhenAll(due.Select(d => AttemptAsync(d, settings, cancellationToken)));
            // Recorded one after the other: the store (one connection) is not shared by the sends.
            for (var i = 0; i < due.Count; i++)
            {
                await store.RecordAttemptAsync(due[i].Id, outcomes[i], cancellationToken);
            }
        }

        var oldest = await store.OldestPendingEventAsync(cancellationToken);
        metrics.SetLag(oldest is { } t ? clock.GetUtcNow() - t : TimeSpan.Zero);
        return due.Count;
    }

    /// <summary>The delay before attempt <paramref name="failedAttempts"/> + 1: base x 2^(n-1), capped, with "equal jitter" (half fixed, half random).</summary>
    public static TimeSpan RetryDelay(int failedAttempts, WebhookOptions settings, double random)
    {
        var exponent = Math.Min(Math.Max(failedAttempts - 1, 0), 30);
        var delay = Math.Min(settings.RetryBaseMilliseconds * Math.Pow(2, exponent), settings.RetryMaxDelayMilliseconds);
        return TimeSpan.FromMilliseconds((delay / 2) + (delay / 2 * random));
    }

    private async Task<DeliveryOutcome> AttemptAsync(DueDelivery delivery, WebhookOptions settings, CancellationToken cancellationToken)
    {
        ActivityContext.TryParse(delivery.TraceParent, null, out var parent);
        using var activity = WebhookMetrics.Source.StartActivity($"webhook {delivery.Type} deliver", ActivityKind.Producer, parent);
        activity?.SetTag("webhook.event.id", delivery.EventId);
        activity?.SetTag("webhook.event.type", delivery.Type);
        activity?.SetTag("webhook.delivery.id", delivery.Id);
        activity?.SetTag("webhook.attempt", delivery.Attempts);
        activity?.SetTag("server.address", delivery.Url.Host);

        var messageId = WebhookSignature.MessageId(delivery.EventId);
        var headers = WebhookSignature.Headers(delivery.Secret, messageId, clock.GetUtcNow().ToUnixTimeSeconds(), delivery.Payload);
        SendResult result;
        try
        {
            result = await sender.SendAsync(delivery.Url, headers, delivery.Payload, cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            result = new SendResult(null, $"No answer within {settings.TimeoutSeconds} s (IMG_WEBHOOK_TIMEOUT_SECONDS).");
        }

        var now = clock.GetUtcNow();
        activity?.SetTag("http.response.status_code", result.StatusCode);
        metrics.Attempted(result.Succeeded, delivery.Type);
        if (result.Succeeded)
        {
            return new DeliveryOutcome(DeliveryStatus.Delivered, now, result.StatusCode, null, null);
        }

        activity?.SetStatus(ActivityStatusCode.Error, result.Error ?? $"HTTP {result.StatusCode}");
        var error = result.Error ?? $"The target answered {result.StatusCode}.";
        var deadline = delivery.EventTimestamp + settings.RetryWindow;
        if (now >= deadline)
        {
            metrics.Dead(delivery.Type);
            LogDead(delivery.Id, delivery.EventId, delivery.Attempts, error);
            return new DeliveryOutcome(DeliveryStatus.Dead, now, result.StatusCode, error, null);
        }

        var next = now + RetryDelay(delivery.Attempts, settings, Random.Shared.NextDouble());
        LogRetry(delivery.Id, delivery.Attempts, error, next);
        return new DeliveryOutcome(DeliveryStatus.Pending, now, result.StatusCode, error, next < deadline ? next : deadline);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook delivery {DeliveryId} attempt {Attempt} failed ({Error}); next attempt at {NextAttemptAt:o}")]
    private partial void LogRetry(long deliveryId, int attempt, string error, DateTimeOffset nextAttemptAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId} of event {EventId} is dead after {Attempts} attempts: the retry window has passed ({Error})")]
    private partial void LogDead(long deliveryId, Guid eventId, int attempts, string error);
}
