using Images.Api.Http;
using Images.Application.Retention.Sweep;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Images.Api.Endpoints;

/// <summary>FR-4: POST /api/v1/retention/sweep.</summary>
internal static class RetentionEndpoints
{
    public static IEndpointRouteBuilder MapRetentionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1/retention")
            .WithTags("retention")
            .MapPost("/sweep", SweepExpiredImages)
            .WithName(nameof(SweepExpiredImages))
            .WithSummary("Delete expired images (thumbnail, unshared original and row), in batches")
            .RequireRateLimiting(RateLimiting.Process);
        return app;
    }

    public static async Task<Ok<SweepResult>> SweepExpiredImages(SweepExpiredImagesHandler handler, CancellationToken cancellationToken) =>
        TypedResults.Ok(await handler.HandleAsync(cancellationToken));
}
