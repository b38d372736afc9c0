using Images.Application.Abstractions;
using Images.Application.Common;

namespace Images.Application.Webhooks.Unsubscribe;

/// <summary>FR-10.1: deletes a subscription; its pending deliveries go with it.</summary>
public sealed class DeleteSubscriptionHandler(IWebhookStore store)
{
    public async Task HandleAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await store.DeleteAsync(id, cancellationToken))
        {
            throw new NotFoundException($"Webhook subscription {id} not found.");
        }
    }
}
