using Microsoft.AspNetCore.Mvc;

namespace Images.Api.Http;

/// <summary>Set on a request whose URL signature verified: the API key is not asked for (FR-8.5).</summary>
internal sealed class SignedRequestFeature
{
    public static readonly SignedRequestFeature Instance = new();
}

/// <summary>
/// FR-8.5: a request that presents a signature (see <see cref="UrlSigner.PresentsSignature"/>) is
/// judged by it, on every path: valid, it goes on without the API key (rate limits still apply:
/// they run after this); invalid or expired, it gets 403 problem, with or without an API key. A
/// request without a signature is left to the API key as before. Runs before
/// <see cref="ApiKeyMiddleware"/>. Logs the path and the reason only, never the query (the
/// signature is a credential for its URL until it expires).
/// </summary>
internal sealed partial class SignedUrlMiddleware(RequestDelegate next, UrlSigner signer, IProblemDetailsService problems, ILogger<SignedUrlMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (HttpMethods.IsOptions(context.Request.Method) || !UrlSigner.PresentsSignature(context.Request))
        {
            await next(context);
            return;
        }

        var check = signer.Verify(context.Request);
        if (check == SignatureCheck.Valid)
        {
            context.Features.Set(SignedRequestFeature.Instance);
            await next(context);
            return;
        }

        LogRefused(context.Request.Method, UrlSigner.RedactPath(context.Request.Path.Value ?? "/"), check);
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "Forbidden",
                Detail = check == SignatureCheck.Expired
                    ? "This signed URL has expired; ask for a new one."
                    : "This signed URL is not valid: it was changed, or was not signed by this service.",
            },
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Signed URL refused for {Method} {Path}: {Check}")]
    private partial void LogRefused(string method, string path, SignatureCheck check);
}
