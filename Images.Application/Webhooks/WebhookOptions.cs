using Images.Application.Common.Settings;

namespace Images.Application.Webhooks;

/// <summary>Webhook delivery (FR-10, ADR 13): the IMG_WEBHOOK_* variables.</summary>
public sealed class WebhookOptions : IImgSettings<WebhookOptions>
{
    /// <summary>IMG_WEBHOOK_ALLOW_PRIVATE_TARGETS: allow loopback, private, link-local... targets (FR-10.3); for tests and closed networks.</summary>
    public bool AllowPrivateTargets { get; set; }

    /// <summary>IMG_WEBHOOK_TIMEOUT_SECONDS: the whole attempt (connect, send, response headers).</summary>
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>IMG_WEBHOOK_RETRY_BASE_MS: the first retry's delay; each next one doubles, with jitter.</summary>
    public int RetryBaseMilliseconds { get; set; } = 5000;

    /// <summary>IMG_WEBHOOK_RETRY_MAX_DELAY_MS: the longest delay between two attempts.</summary>
    public int RetryMaxDelayMilliseconds { get; set; } = 3_600_000;

    /// <summary>IMG_WEBHOOK_RETRY_WINDOW_SECONDS: how long after the event attempts go on before the delivery is dead (FR-10.2: 24 h).</summary>
    public int RetryWindowSeconds { get; set; } = 86_400;

    /// <summary>IMG_WEBHOOK_POLL_INTERVAL_MS: how often the dispatcher looks for due deliveries (events of this process wake it at once).</summary>
    public int PollIntervalMilliseconds { get; set; } = 1000;

    /// <summary>IMG_WEBHOOK_CONCURRENCY: deliveries one dispatcher sends at once.</summary>
    public int Concurrency { get; set; } = 8;

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);

    public TimeSpan RetryWindow => TimeSpan.FromSeconds(RetryWindowSeconds);

    public static void Bind(WebhookOptions options, ImgSettingsReader reader)
    {
        options.AllowPrivateTargets = reader.Bool("IMG_WEBHOOK_ALLOW_PRIVATE_TARGETS", options.AllowPrivateTargets);
        options.TimeoutSeconds = reader.Int("IMG_WEBHOOK_TIMEOUT_SECONDS", options.TimeoutSeconds, 1, 60);
        options.RetryBaseMilliseconds = reader.Int("IMG_WEBHOOK_RETRY_BASE_MS", options.RetryBaseMilliseconds, 10, 3_600_000);
        options.RetryMaxDelayMilliseconds = reader.Int("IMG_WEBHOOK_RETRY_MAX_DELAY_MS", options.RetryMaxDelayMilliseconds, 10, 86_400_000);
        options.RetryWindowSeconds = reader.Int("IMG_WEBHOOK_RETRY_WINDOW_SECONDS", options.RetryWindowSeconds, 60, 604_800);
        options.PollIntervalMilliseconds = reader.Int("IMG_WEBHOOK_POLL_INTERVAL_MS", options.PollIntervalMilliseconds, 50, 60_000);
        options.Concurrency = reader.Int("IMG_WEBHOOK_CONCURRENCY", options.Concurrency, 1, 64);
        reader.Require(
            options.RetryMaxDelayMilliseconds >= options.RetryBaseMilliseconds,
            $"IMG_WEBHOOK_RETRY_MAX_DELAY_MS ({options.RetryMaxDelayMilliseconds}) must not be below IMG_WEBHOOK_RETRY_BASE_MS ({options.RetryBaseMilliseconds}).");
    }
}
