using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace Images.Api.Http;

/// <summary>
/// A download with HTTP caching (FR-8.4, ADR 10), for every endpoint that streams a file
/// (originals, thumbnails, renditions): a strong <c>ETag</c> from <see cref="EntityTagSource"/>,
/// <c>Last-Modified</c>, the <see cref="CachePolicy"/>'s <c>Cache-Control</c>; the conditional
/// headers evaluated by <see cref="ConditionalRequest"/> (304 with the validators and no body, 412);
/// then the bytes, by ASP.NET Core's own stream result: <c>Content-Type</c>, <c>Content-Length</c>,
/// <c>Content-Disposition</c> when a download name is given, and with range processing
/// <c>Accept-Ranges: bytes</c>, 206 with <c>Content-Range</c> for one range, the whole file (200) for
/// several, and 416 (here with a problem body) for an unsatisfiable one.
/// Headers set before it runs (for example <c>Vary: Accept</c>) go out on every answer, 304 included.
/// </summary>
public sealed class CachedFileResult(
    Stream content,
    string contentType,
    EntityTagSource entityTag,
    CachePolicy cachePolicy,
    DateTimeOffset? lastModified = null,
    string? fileDownloadName = null,
    bool enableRangeProcessing = false) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        EntityTagHeaderValue tag;
        Stream body;
        try
        {
            (tag, body) = await entityTag.ResolveAsync(content, context.RequestAborted);
        }
        catch
        {
            await content.DisposeAsync();
            throw;
        }

        var response = context.Response;
        var modified = lastModified is { } value ? ConditionalRequest.WholeSeconds(value) : (DateTimeOffset?)null;
        var headers = response.GetTypedHeaders();
        headers.ETag = tag;
        headers.LastModified = modified;
        response.Headers.CacheControl = cachePolicy.CacheControl;

        var now = (context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
        var (outcome, honourRange) = ConditionalRequest.Evaluate(context.Request, tag, modified, now);
        if (outcome != ConditionalOutcome.Proceed)
        {
            await body.DisposeAsync();
            if (outcome == ConditionalOutcome.NotModified)
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }

            await WriteProblemAsync(context, StatusCodes.Status412PreconditionFailed, "Precondition failed", "The file does not match the If-Match or If-Unmodified-Since condition.");
            return;
        }

        if (!honourRange || !IsByteRange(context.Request))
        {
            // If-Range names another version (RFC 9110 §13.1.5), or the range is in a unit other than
            // bytes (§14.2: ignored; the framework would serve it as bytes): the whole file is the answer.
            context.Request.Headers.Remove(HeaderNames.Range);
        }

        // No validators handed on: they are evaluated above, and the file result only serves bytes.
        await TypedResults.Stream(body, contentType, fileDownloadName, enableRangeProcessing: enableRangeProcessing).ExecuteAsync(context);

        if (response.StatusCode == StatusCodes.Status416RangeNotSatisfiable && !response.HasStarted)
        {
            // The framework answers 416 with Content-Range: bytes */<length> and no body; errors here
            // are problem details (RFC 9457), so one is added.
            response.ContentLength = null;
            await WriteProblemAsync(
                context,
                StatusCodes.Status416RangeNotSatisfiable,
                "Range not satisfiable",
                $"The requested range lies outside the file ({response.Headers.ContentRange}).");
        }
    }

    /// <summary>
    /// Whether the request's conditions alone decide the answer (304 or 412) for content whose
    /// SHA-256 is <paramref name="sha256"/>: then a <see cref="CachedFileResult"/> over no bytes
    /// answers exactly as one over the file would, and the store need not be read (ADR 11).
    /// </summary>
    public static bool DecidedByValidators(HttpContext context, string sha256, DateTimeOffset? lastModified)
    {
        var now = (context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
        var tag = new EntityTagHeaderValue($"\"{sha256.ToLowerInvariant()}\"");
        return ConditionalRequest.Evaluate(context.Request, tag, lastModified, now).Outcome != ConditionalOutcome.Proceed;
    }

    private static bool IsByteRange(HttpRequest request) =>
        !request.Headers.ContainsKey(HeaderNames.Range)
        || string.Equals(request.GetTypedHeaders().Range?.Unit.Value, "bytes", StringComparison.OrdinalIgnoreCase);

    private static Task WriteProblemAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        }).AsTask();
    }
}
