using Images.Application.Abstractions;
using Images.Application.Common;

namespace Images.Application.Webhooks.Subscribe;

public sealed record CreateSubscriptionCommand(string? Url, IReadOnlyList<string>? Events);

/// <summary>
/// FR-10.1: a subscription to some event types at a URL, with a new <c>whsec_</c> secret shown in
/// this answer only. The URL must be absolute http(s) without credentials, and every address its
/// host resolves to must be public (FR-10.3); the dispatcher checks the address again when it
/// connects (DNS may have changed since).
/// </summary>
public sealed class CreateSubscriptionHandler(IWebhookStore store, IWebhookTargetPolicy policy, TimeProvider clock)
{
    public const int MaxUrlLength = 2048;

    public async Task<WebhookSubscriptionWithSecretDto> HandleAsync(CreateSubscriptionCommand command, CancellationToken cancellationToken)
    {
        var url = ParseUrl(command.Url);
        var events = ParseEvents(command.Events);
        if (await policy.RefusalAsync(url, cancellationToken) is { } refusal)
        {
            throw new ValidationException("url", refusal);
        }

        // PostgreSQL keeps microseconds: the answer shows the time as it will be read back.
        var now = clock.GetUtcNow();
        var subscription = new WebhookSubscription(Guid.CreateVersion7(), url, events, WebhookSignature.NewSecret(), now.AddTicks(-(now.Ticks % 10)));
        await store.AddAsync(subscription, cancellationToken);
        return WebhookSubscriptionWithSecretDto.From(subscription);
    }

    internal static Uri ParseUrl(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            throw new ValidationException("url", "url is required.");
        }

        if (raw.Length > MaxUrlLength)
        {
            throw new ValidationException("url", $"url is longer than {MaxUrlLength} characters.");
        }

        if (raw.Any(char.IsControl) || !Uri.TryCreate(raw, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ValidationException("url", "url must be an absolute http or https URL.");
        }

        if (url.UserInfo.Length > 0 || url.Fragment.Length > 0)
        {
            throw new ValidationException("url", "url must not carry credentials or a fragment.");
        }

        return url;
    }

    private static List<string> ParseEvents(IReadOnlyList<string>? events)
    {
        if (events is null || events.Count == 0)
        {
            throw new ValidationException("events", $"events must list at least one of {string.Join(", ", WebhookEventTypes.All)}.");
        }

        var unknown = events.Where(e => !WebhookEventTypes.All.Contains(e)).ToList();
        if (unknown.Count > 0)
        {
            throw new ValidationException("events", [.. unknown.Select(e => $"'{e}' is not an event type; use {string.Join(", ", WebhookEventTypes.All)}.")]);
        }

        return [.. WebhookEventTypes.All.Where(events.Contains)];
    }
}

/// <summary>A new secret for a subscription, shown once; the old one stops signing at once.</summary>
public sealed class RotateSecretHandler(IWebhookStore store)
{
    public async Task<WebhookSubscriptionWithSecretDto> HandleAsync(Guid id, CancellationToken cancellationToken)
    {
        var secret = WebhookSignature.NewSecret();
        if (!await store.RotateSecretAsync(id, secret, cancellationToken))
        {
            throw new NotFoundException($"Webhook subscription {id} not found.");
        }

        var subscription = await store.GetAsync(id, cancellationToken) ?? throw new NotFoundException($"Webhook subscription {id} not found.");
        return WebhookSubscriptionWithSecretDto.From(subscription);
    }
}
