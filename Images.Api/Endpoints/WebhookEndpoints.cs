using Images.Api.Http;
using Images.Application.Webhooks;
using Images.Application.Webhooks.Query;
using Images.Application.Webhooks.Subscribe;
using Images.Application.Webhooks.Unsubscribe;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Images.Api.Endpoints;

/// <summary>FR-10.1, FR-10.2: /api/v1/webhooks, the subscriptions and their deliveries (ADR 13).</summary>
internal static class WebhookEndpoints
{
    public const string Tag = "webhooks";

    public static IEndpointRouteBuilder MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/webhooks").WithTags(Tag);

        group.MapPost("/", CreateWebhook)
            .WithName(nameof(CreateWebhook))
            .WithSummary("Subscribe a URL to image events; the answer shows the signing secret, once")
            .WithDescription(
                "Body `{\"url\", \"events\": [\"image.created\", \"image.completed\", \"image.failed\", \"image.deleted\"]}`. " +
                "Each event is POSTed as `{\"type\", \"timestamp\", \"data\": <image resource>}` and signed as Standard Webhooks " +
                "specify (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>` with " +
                "the base64-decoded part of the `whsec_` secret). At least once; retried with exponential backoff for 24 h, then dead. " +
                "A URL whose host resolves to a loopback, private, link-local, CGNAT, multicast or unspecified address is refused " +
                "with 422 unless IMG_WEBHOOK_ALLOW_PRIVATE_TARGETS=true (checked again on every connection); redirects are not followed.")
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireRateLimiting(RateLimiting.Process);

        group.MapGet("/", ListWebhooks)
            .WithName(nameof(ListWebhooks))
            .WithSummary("List the webhook subscriptions (without their secrets)")
            .RequireRateLimiting(RateLimiting.Read);

        group.MapGet("/{id}", GetWebhook)
            .WithName(nameof(GetWebhook))
            .WithSummary("Get a webhook subscription (without its secret)")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireRateLimiting(RateLimiting.Read);

        group.MapDelete("/{id}", DeleteWebhook)
            .WithName(nameof(DeleteWebhook))
            .WithSummary("Delete a webhook subscription and its pending deliveries")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireRateLimiting(RateLimiting.Process);

        group.MapPost("/{id}/secret", RotateWebhookSecret)
            .WithName(nameof(RotateWebhookSecret))
            .WithSummary("Replace a subscription's signing secret; the answer shows the new one, once")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireRateLimiting(RateLimiting.Process);

        group.MapGet("/{id}/deliveries", ListWebhookDeliveries)
            .WithName(nameof(ListWebhookDeliveries))
            .WithSummary("A subscription's deliveries, newest first: status (pending, delivered, dead), attempts, last answer, next attempt")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireRateLimiting(RateLimiting.Read);

        return app;
    }

    public static async Task<Created<WebhookSubscriptionWithSecretDto>> CreateWebhook(
        CreateWebhookRequest request,
        CreateSubscriptionHandler handler,
        CancellationToken cancellationToken)
    {
        var created = await handler.HandleAsync(new CreateSubscriptionCommand(request.Url, request.Events), cancellationToken);
        return TypedResults.Created($"/api/v1/webhooks/{created.Id}", created);
    }

    public static async Task<Ok<WebhookSubscriptionList>> ListWebhooks(ListSubscriptionsHandler handler, CancellationToken cancellationToken) =>
        TypedResults.Ok(await handler.HandleAsync(cancellationToken));

    public static async Task<Ok<WebhookSubscriptionDto>> GetWebhook(string id, GetSubscriptionHandler handler, CancellationToken cancellationToken) =>
        TypedResults.Ok(await handler.HandleAsync(ParseId(id), cancellationToken));

    public static async Task<NoContent> DeleteWebhook(string id, DeleteSubscriptionHandler handler, CancellationToken cancellationToken)
    {
        await handler.HandleAsync(ParseId(id), cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<WebhookSubscriptionWithSecretDto>> RotateWebhookSecret(string id, RotateSecretHandler handler, CancellationToken cancellationToken) =>
        TypedResults.Ok(await handler.HandleAsync(ParseId(id), cancellationToken));

    public static async Task<Ok<WebhookDeliveryList>> ListWebhookDeliveries(
        string id,
        string? limit,
        ListDeliveriesHandler handler,
        CancellationToken cancellationToken)
    {
        int? parsed = null;
        if (!string.IsNullOrEmpty(limit))
        {
            parsed = int.TryParse(limit, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new Application.Common.ValidationException("limit", $"limit must be an integer; got '{limit}'.");
        }

        return TypedResults.Ok(await handler.HandleAsync(ParseId(id), parsed, cancellationToken));
    }

    private static Guid ParseId(string? value) =>
        Guid.TryParse(value, out var id) ? id : throw new Application.Common.ValidationException("webhook_id", $"'{value}' is not a valid UUID.");
}

/// <summary>Body of POST /api/v1/webhooks.</summary>
public sealed record CreateWebhookRequest(string? Url, IReadOnlyList<string>? Events);
