using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Images.Api.Http;

/// <summary>FR-7.2: fixed windows per client (see <see cref="ClientAddress"/>) for upload, process and read endpoints; 429 with Retry-After.</summary>
internal static class RateLimiting
{
    public const string Upload = "upload";
    public const string Process = "process";
    public const string Read = "read";

    public static IServiceCollection AddImagesRateLimiting(this IServiceCollection services)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(Upload, context => Partition(context, o => o.Upload));
            limiter.AddPolicy(Process, context => Partition(context, o => o.Process));
            limiter.AddPolicy(Read, context => Partition(context, o => o.Read));
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var context = rejected.HttpContext;
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
                    ? (int)Math.Ceiling(wait.TotalSeconds)
                    : 1;
                context.Response.Headers.RetryAfter = Math.Max(retryAfter, 1).ToString(CultureInfo.InvariantCulture);
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Detail = $"Rate limit exceeded; retry after {retryAfter} seconds.",
                    },
                });
            };
        });
        return services;
    }

    private static RateLimitPartition<string> Partition(HttpContext context, Func<ApiOptions, RateLimit> select)
    {
        var limit = select(context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value);
        var client = ClientAddress.PartitionKey(context);
        return RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limit.PermitLimit,
            Window = TimeSpan.FromSeconds(limit.WindowSeconds),
            QueueLimit = 0,
        });
    }
}
