using Images.Api.Http;
using Images.Application.Images.Stats;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Images.Api.Endpoints;

/// <summary>FR-12.3: GET /api/v1/stats, the figures of the console's operations view, for any client.</summary>
internal static class StatsEndpoints
{
    public static IEndpointRouteBuilder MapStatsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/stats", GetStats)
            .WithTags("operations")
            .WithName(nameof(GetStats))
            .WithSummary("Images per status, the queue's lag and the images processed per minute over the last 30 minutes")
            .WithDescription(
                "Read from the database every replica writes, so any Api answers for the whole service. `queue_lag_seconds` is how long the " +
                "oldest `pending` image has waited (0 when none waits). `processed_per_minute` has one entry per UTC minute, oldest first, " +
                "the current (partial) minute last, with the completed and failed outcomes of that minute (from the event log).")
            .RequireRateLimiting(RateLimiting.Read);
        return app;
    }

    public static async Task<Ok<ServiceStats>> GetStats(GetStatsHandler handler, HttpContext context, CancellationToken cancellationToken)
    {
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(await handler.HandleAsync(cancellationToken));
    }
}
