using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Images.Api.Http;

/// <summary>
/// FR-7.1: with IMG_API_KEY set, every /api/v1/ call needs a matching X-API-Key (constant-time),
/// unless its URL signature verified (FR-8.5, <see cref="SignedUrlMiddleware"/>, which runs first).
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<ApiOptions> options, IProblemDetailsService problems)
{
    public const string HeaderName = "X-API-Key";

    private readonly byte[]? _expected = options.Value.ApiKey is { } key ? SHA256.HashData(Encoding.UTF8.GetBytes(key)) : null;

    public async Task InvokeAsync(HttpContext context)
    {
        if (_expected is null
            || !context.Request.Path.StartsWithSegments("/api/v1")
            || HttpMethods.IsOptions(context.Request.Method)
            || context.Features.Get<SignedRequestFeature>() is not null)
        {
            await next(context);
            return;
        }

        var supplied = context.Request.Headers[HeaderName].ToString();
        // Hash both sides so the comparison takes the same time whatever the supplied length.
        if (supplied.Length > 0 && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(supplied)), _expected))
        {
            await next(context);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = $"A valid {HeaderName} header is required.",
            },
        });
    }
}
