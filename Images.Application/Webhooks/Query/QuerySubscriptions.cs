using Images.Application.Abstractions;
using Images.Application.Common;

namespace Images.Application.Webhooks.Query;

/// <summary>FR-10.1: the subscriptions (never their secrets).</summary>
public sealed class ListSubscriptionsHandler(IWebhookStore store)
{
    public async Task<WebhookSubscriptionList> HandleAsync(CancellationToken cancellationToken) =>
        new([.. (await store.ListAsync(cancellationToken)).Select(WebhookSubscriptionDto.From)]);
}

public sealed class GetSubscriptionHandler(IWebhookStore store)
{
    public async Task<WebhookSubscriptionDto> HandleAsync(Guid id, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } subscription
            ? WebhookSubscriptionDto.From(subscription)
            : throw new NotFoundException($"Webhook subscription {id} not found.");
}

/// <summary>FR-10.2: a subscription's deliveries, newest first (at most <see cref="MaxLimit"/>).</summary>
public sealed class ListDeliveriesHandler(IWebhookStore store)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    public async Task<WebhookDeliveryList> HandleAsync(Guid id, int? limit, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > MaxLimit)
        {
            throw new ValidationException("limit", $"limit must be between 1 and {MaxLimit}.");
        }

        if (await store.GetAsync(id, cancellationToken) is null)
        {
            throw new NotFoundException($"Webhook subscription {id} not found.");
        }

        return new WebhookDeliveryList(await store.ListDeliveriesAsync(id, limit ?? DefaultLimit, cancellationToken));
    }
}
