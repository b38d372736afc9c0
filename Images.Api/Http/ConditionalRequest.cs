using Microsoft.AspNetCore.Http.Headers;
using Microsoft.Net.Http.Headers;

namespace Images.Api.Http;

internal enum ConditionalOutcome
{
    /// <summary>Send the representation (200, or 206 when a range is asked for and allowed).</summary>
    Proceed,

    /// <summary>304: the client's copy is current.</summary>
    NotModified,

    /// <summary>412: an If-Match or If-Unmodified-Since condition is false.</summary>
    PreconditionFailed,
}

/// <summary>
/// The conditional request headers evaluated in the order of RFC 9110 §13.2.2 (FR-8.4). ASP.NET
/// Core's file results evaluate them too, but combine them by "the strictest wins": a matching
/// If-None-Match beside an older If-Modified-Since gets 200 there, where RFC 9110 says the date is
/// ignored when If-None-Match is present (304); and an If-Range date later than Last-Modified is
/// taken as a match, where RFC 9110 asks for an exact one. So this evaluates them, and the file
/// result, given no validators, only serves bytes and ranges.
/// </summary>
internal static class ConditionalRequest
{
    public static (ConditionalOutcome Outcome, bool HonourRange) Evaluate(
        HttpRequest request,
        EntityTagHeaderValue etag,
        DateTimeOffset? lastModified,
        DateTimeOffset now)
    {
        var headers = request.GetTypedHeaders();
        var readOnly = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
        lastModified = lastModified is { } modified ? WholeSeconds(modified) : null;

        // 1. If-Match (strong comparison); 2. else If-Unmodified-Since.
        if (headers.IfMatch is { Count: > 0 } ifMatch)
        {
            if (!ifMatch.Any(candidate => candidate.Equals(EntityTagHeaderValue.Any) || candidate.Compare(etag, useStrongComparison: true)))
            {
                return (ConditionalOutcome.PreconditionFailed, false);
            }
        }
        else if (headers.IfUnmodifiedSince is { } unmodifiedSince && lastModified is { } lm1 && lm1 > unmodifiedSince)
        {
            return (ConditionalOutcome.PreconditionFailed, false);
        }

        // 3. If-None-Match (weak comparison, so W/"x" matches "x"; * matches any current representation);
        // 4. only without it, If-Modified-Since, and only a date that is not in the future.
        if (headers.IfNoneMatch is { Count: > 0 } ifNoneMatch)
        {
            if (ifNoneMatch.Any(candidate => candidate.Equals(EntityTagHeaderValue.Any) || candidate.Compare(etag, useStrongComparison: false)))
            {
                return (readOnly ? ConditionalOutcome.NotModified : ConditionalOutcome.PreconditionFailed, false);
            }
        }
        else if (readOnly && headers.IfModifiedSince is { } modifiedSince && modifiedSince <= now && lastModified is { } lm2 && lm2 <= modifiedSince)
        {
            return (ConditionalOutcome.NotModified, false);
        }

        // 5. If-Range: a range only for the same representation. An entity tag must match strongly
        // (a weak one never does); a date must equal Last-Modified exactly. Otherwise the whole
        // representation is sent (200), as if no Range had been asked for.
        var honourRange = true;
        if (request.Headers.ContainsKey(HeaderNames.Range) && request.Headers.ContainsKey(HeaderNames.IfRange))
        {
            honourRange = headers.IfRange switch
            {
                { EntityTag: { } tag } => tag.Compare(etag, useStrongComparison: true),
                { LastModified: { } date } => lastModified == date,
                _ => false,
            };
        }

        return (ConditionalOutcome.Proceed, honourRange);
    }

    /// <summary>Whether the request carries any of the conditional headers (RFC 9110 §13.1), If-Range included.</summary>
    public static bool HasPreconditions(HttpRequest request) =>
        request.Headers.ContainsKey(HeaderNames.IfMatch)
        || request.Headers.ContainsKey(HeaderNames.IfNoneMatch)
        || request.Headers.ContainsKey(HeaderNames.IfModifiedSince)
        || request.Headers.ContainsKey(HeaderNames.IfUnmodifiedSince)
        || request.Headers.ContainsKey(HeaderNames.IfRange);

    /// <summary>HTTP dates have whole seconds: Last-Modified is sent, and compared, rounded down.</summary>
    public static DateTimeOffset WholeSeconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
