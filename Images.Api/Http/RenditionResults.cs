using Images.Application.Images.GetRendition;
using Microsoft.Net.Http.Headers;

namespace Images.Api.Http;

/// <summary>
/// The conditional part of a rendition's answer (FR-8.4, the minimum this endpoint needs until the
/// shared HTTP caching helper lands): a strong ETag and Last-Modified on every answer, and 304 when
/// If-None-Match names the ETag (or is *). The file is written once under its key, so the ETag
/// never names two different contents.
/// </summary>
internal static class RenditionResults
{
    public static IResult Send(HttpContext context, RenditionFile file)
    {
        var etag = new EntityTagHeaderValue(file.ETag);
        var ifNoneMatch = context.Request.GetTypedHeaders().IfNoneMatch;
        if (ifNoneMatch.Count > 0 && ifNoneMatch.Any(candidate => candidate.Equals(EntityTagHeaderValue.Any) || candidate.Compare(etag, useStrongComparison: false)))
        {
            file.Content.Dispose();
            context.Response.Headers.ETag = file.ETag;
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Stream(file.Content, file.ContentType, file.FileName, file.LastModified, etag);
    }
}
