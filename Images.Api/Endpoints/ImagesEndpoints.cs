using System.Globalization;
using Images.Api.Http;
using Images.Application.Common;
using Images.Application.Images.BatchProcess;
using Images.Application.Images.Delete;
using Images.Application.Images.Download;
using Images.Application.Images.Get;
using Images.Application.Images.GetRendition;
using Images.Application.Images.List;
using Images.Application.Images.Process;
using Images.Application.Images.Similar;
using Images.Application.Images.Upload;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Images.Api.Endpoints;

/// <summary>The image resource of the seed's contract: /api/v1/images (FR-1, FR-2, FR-3).</summary>
internal static class ImagesEndpoints
{
    public const string Tag = "images";

    public static IEndpointRouteBuilder MapImagesEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/images").WithTags(Tag);

        group.MapPost("/", UploadImage)
            .WithName(nameof(UploadImage))
            .WithSummary("Upload an image (JPEG, PNG, WebP, TIFF, GIF, HEIC, AVIF)")
            .WithDescription(
                "multipart/form-data with `file`, optional `tags` (repeated or comma-separated, at most 20) and optional `ttl_hours` (1-8760). " +
                "The format is decided by the file's magic bytes. With an `Idempotency-Key` header (1-255 visible ASCII characters, bare or " +
                "quoted), a retry within 24 h answers the first upload's 201 and body again (with `Idempotent-Replayed: true`) and stores " +
                "nothing; the same key with a different upload is 422; a retry while the first is still committing waits for it (409 if " +
                "that takes over 10 s) (FR-9.4, ADR 13).")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireRateLimiting(RateLimiting.Upload);

        group.MapGet("/", ListImages)
            .WithName(nameof(ListImages))
            .WithSummary("List images, newest first (paginated, filterable by status)")
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireRateLimiting(RateLimiting.Read);

        group.MapGet("/{id}", GetImage)
            .WithName(nameof(GetImage))
            .WithSummary("Get an image's metadata")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireRateLimiting(RateLimiting.Read);

        group.MapDelete("/{id}", DeleteImage)
            .WithName(nameof(DeleteImage))
            .WithSummary("Delete an image: its row, thumbnail, renditions and, unless another image shares its bytes, the original")
            .WithDescription(
                "Deletes the image whatever its status, as a retention sweep deletes an expired one (FR-4.2): the row, the thumbnail, " +
                "every rendition, and the original when no other image shares its `content_hash` (FR-1.7). Records `image.deleted` for " +
                "webhooks and the event stream in the same transaction (FR-10.2, FR-12.1). 204 on success; 404 for an unknown id " +
                "(also for the second of two concurrent deletes) (FR-12.2).")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireRateLimiting(RateLimiting.Process);

        group.MapGet("/{id}/download", DownloadImage)
            .WithName(nameof(DownloadImage))
            .WithSummary("Download the original, or the thumbnail with ?thumbnail=true")
            .WithDescription(
                "Strong `ETag` (the SHA-256 of the bytes: for an original its `content_hash`), `Last-Modified`, " +
                "`Cache-Control: private, no-cache`; `If-None-Match` / `If-Modified-Since` give 304, `If-Match` / " +
                "`If-Unmodified-Since` 412; one `Range` gives 206 with `Content-Range` (`If-Range` honoured), an " +
                "unsatisfiable one 416, several the whole file. With `expires` and `sig` from POST .../signed-urls " +
                "it needs no API key until it expires; a changed or expired signed URL is 403 (FR-8.4, FR-8.5). " +
                "With IMG_S3_PRESIGNED_DOWNLOADS=true a request without conditional headers is redirected (302) to the " +
                "object store; a conditional one is answered here as above (ADR 11).")
            .Produces(StatusCodes.Status200OK, typeof(Stream), "image/jpeg", "image/png", "image/webp", "image/tiff", "image/gif", "image/heic", "image/avif")
            .Produces(StatusCodes.Status206PartialContent, typeof(Stream), "image/jpeg", "image/png", "image/webp", "image/tiff", "image/gif", "image/heic", "image/avif")
            .Produces(StatusCodes.Status302Found)
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status416RangeNotSatisfiable)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireRateLimiting(RateLimiting.Read);

        group.MapGet("/{id}/renditions/{name}", GetRendition)
            .WithName(nameof(GetRendition))
            .WithSummary("Download a rendition (a named size) as AVIF, WebP, JPEG or PNG, negotiated from Accept or named by ?format=")
            .WithDescription("Without ?format=, the format comes from Accept: AVIF, then WebP, then JPEG, each only when named (image/avif, image/webp); */*, image/* or no Accept gives JPEG; PNG (images with alpha) only when named with a higher q than the others. Answers Vary: Accept, a strong ETag (the SHA-256 of the bytes; If-None-Match gives 304, If-Match 412), Last-Modified and Cache-Control: public, max-age=31536000, immutable. Unknown rendition or not made yet: 404; unknown format, or png for an image without alpha: 422; avif where the encoder was missing: 406.")
            .Produces(StatusCodes.Status200OK, typeof(Stream), "image/avif", "image/webp", "image/jpeg", "image/png")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status406NotAcceptable)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireRateLimiting(RateLimiting.Read);

        group.MapGet("/{id}/similar", FindSimilarImages)
            .WithName(nameof(FindSimilarImages))
            .WithSummary("Near-duplicates of an image by perceptual hash, nearest first")
            .WithDescription("Images whose 64-bit perceptual hash (`phash`) differs from this one's in at most `max_distance` bits (0-16, default 8), nearest first, the image itself excluded, at most `limit` (1-100, default 20); each item is the image resource with its `distance`. Answered from the hash band indexes (ADR 14). Unknown image, or one not processed yet (no hash): 404 problem; a bad parameter: 422 (FR-9.2).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireRateLimiting(RateLimiting.Read);

        group.MapPost("/{id}/process", ProcessImage)
            .WithName(nameof(ProcessImage))
            .WithSummary("Process one image now (thumbnail and metadata)")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireRateLimiting(RateLimiting.Process);

        group.MapPost("/batch/process", BatchProcessImages)
            .WithName(nameof(BatchProcessImages))
            .WithSummary("Process up to 100 images concurrently (concurrency 1-32, default 8)")
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireRateLimiting(RateLimiting.Process);

        return app;
    }

    public static async Task<Created<ImageDto>> UploadImage(
        HttpRequest request,
        UploadImageHandler handler,
        IOptions<UploadOptions> options,
        IOptions<ApiOptions> api,
        CancellationToken cancellationToken)
    {
        // The key is checked before the body is read: a malformed one costs no upload (FR-9.4).
        var key = IdempotencyKey.Parse(request.Headers[IdempotencyKey.Header], IdempotencyKey.ScopeOf(api.Value.ApiKey));
        var command = await UploadForm.ReadAsync(request, handler, options.Value.MaxUploadBytes, cancellationToken) with { IdempotencyKey = key };
        await using (command.File)
        {
            var result = await handler.HandleAsync(command, cancellationToken);
            if (result.Replayed)
            {
                request.HttpContext.Response.Headers["Idempotent-Replayed"] = "true";
            }

            return TypedResults.Created($"/api/v1/images/{result.Image.Id}", result.Image);
        }
    }

    public static async Task<Ok<ImagePage>> ListImages(
        ListImagesHandler handler,
        string? offset,
        string? limit,
        string? status,
        string? tag,
        string? filename,
        CancellationToken cancellationToken)
    {
        var query = new ListImagesQuery(ParseInt(offset, nameof(offset)), ParseInt(limit, nameof(limit)), ImageStatusContract.Parse(status, nameof(status)), tag, filename);
        return TypedResults.Ok(await handler.HandleAsync(query, cancellationToken));
    }

    public static async Task<Ok<SimilarImagesPage>> FindSimilarImages(
        string id,
        FindSimilarImagesHandler handler,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "max_distance")] string? maxDistance,
        string? limit,
        CancellationToken cancellationToken)
    {
        var query = new FindSimilarImagesQuery(ParseId(id), ParseInt(maxDistance, "max_distance"), ParseInt(limit, nameof(limit)));
        return TypedResults.Ok(await handler.HandleAsync(query, cancellationToken));
    }

    public static async Task<Ok<ImageDto>> GetImage(string id, GetImageHandler handler, CancellationToken cancellationToken) =>
        TypedResults.Ok(await handler.HandleAsync(ParseId(id), cancellationToken));

    public static async Task<NoContent> DeleteImage(string id, DeleteImageHandler handler, CancellationToken cancellationToken)
    {
        await handler.HandleAsync(ParseId(id), cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// FR-3.2, FR-3.3 with FR-8.4's caching: the original's ETag is its content hash; a thumbnail's is
    /// the hash of its bytes, computed as it is sent (ADR 10). Ranges stay on for both, as before.
    /// With IMG_S3_PRESIGNED_DOWNLOADS (ADR 11) an unconditional request is redirected (302) to the
    /// store; a conditional one is answered here: for an original, 304 or 412 from its content hash
    /// without reading the store, else the bytes streamed with ADR 10's rules, as without presigning.
    /// </summary>
    public static async Task<IResult> DownloadImage(
        string id,
        string? thumbnail,
        HttpContext context,
        DownloadImageHandler handler,
        CancellationToken cancellationToken)
    {
        var imageId = ParseId(id);
        var wantsThumbnail = ParseBool(thumbnail, nameof(thumbnail));
        // The store judges a presigned GET's conditions by its own ETag and dates, not by ours (ADR 11):
        // a conditional request is never sent there. A thumbnail's ETag needs its bytes, so it streams.
        var conditional = ConditionalRequest.HasPreconditions(context.Request);
        var result = await handler.HandleAsync(imageId, wantsThumbnail, allowRedirect: !conditional || !wantsThumbnail, cancellationToken);
        if (result.Redirect is { } address)
        {
            if (!conditional)
            {
                // The address expires (IMG_S3_PRESIGNED_EXPIRY_SECONDS): no cache may keep the redirect.
                context.Response.Headers.CacheControl = CachePolicy.NoStore.CacheControl;
                return TypedResults.Redirect(address.AbsoluteUri);
            }

            if (result.Sha256 is { } hash && CachedFileResult.DecidedByValidators(context, hash, result.LastModified))
            {
                // 304 or 412 from the content hash: the file result evaluates the same conditions, over no bytes.
                return new CachedFileResult(Stream.Null, result.ContentType, EntityTagSource.Sha256(hash), CachePolicy.PrivateRevalidate, result.LastModified, result.FileName);
            }

            result = await handler.HandleAsync(imageId, wantsThumbnail, allowRedirect: false, cancellationToken);
        }

        return new CachedFileResult(
            result.Content!,
            result.ContentType,
            result.Sha256 is { } sha256 ? EntityTagSource.Sha256(sha256) : EntityTagSource.HashOfContent,
            CachePolicy.PrivateRevalidate,
            result.LastModified,
            result.FileName,
            enableRangeProcessing: true);
    }

    /// <summary>
    /// FR-8.3: one rendition file; the format negotiated or named (RenditionNegotiation). Always
    /// streamed by the Api, on S3 too (ADR 11): its URL is cached for a year and varies on Accept,
    /// which a redirect to an expiring presigned address could not be.
    /// </summary>
    public static async Task<IResult> GetRendition(
        string id,
        string name,
        string? format,
        HttpContext context,
        GetRenditionHandler handler,
        CancellationToken cancellationToken)
    {
        var accept = context.Request.GetTypedHeaders().Accept
            .Select(a => new AcceptedType(a.MediaType.Value ?? string.Empty, a.Quality ?? 1.0))
            .ToList();
        var file = await handler.HandleAsync(new GetRenditionQuery(ParseId(id), name, format, accept), cancellationToken);
        // The answer depends on Accept (on 304 too); the bytes under a rendition's key never change
        // (DerivedKeys), so any cache may keep them for a year (FR-8.4, ADR 10's helper).
        context.Response.Headers.Vary = "Accept";
        return new CachedFileResult(file.Content, file.ContentType, EntityTagSource.HashOfContent, CachePolicy.Immutable, file.LastModified, file.FileName);
    }

    public static async Task<Ok<ImageDto>> ProcessImage(string id, ProcessImageHandler handler, CancellationToken cancellationToken) =>
        TypedResults.Ok(await handler.HandleAsync(ParseId(id), cancellationToken));

    public static async Task<Ok<BatchProcessResult>> BatchProcessImages(
        BatchProcessRequest request,
        BatchProcessImagesHandler handler,
        CancellationToken cancellationToken)
    {
        var malformed = request.ImageIds?.Where(raw => !Guid.TryParse(raw, out _)).Select(raw => $"'{raw}' is not a valid UUID.").ToArray() ?? [];
        if (malformed.Length > 0)
        {
            throw new ValidationException("image_ids", malformed);
        }

        var command = new BatchProcessCommand(request.ImageIds?.Select(Guid.Parse).ToList(), request.Concurrency);
        return TypedResults.Ok(await handler.HandleAsync(command, cancellationToken));
    }

    /// <summary>An image id from the path: a malformed one is a 422 naming the field, never a 500 or a 404.</summary>
    internal static Guid ParseId(string? value) =>
        Guid.TryParse(value, out var id) ? id : throw new ValidationException("image_id", $"'{value}' is not a valid UUID.");

    private static int? ParseInt(string? value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new ValidationException(field, $"{field} must be an integer; got '{value}'.");
    }

    private static bool ParseBool(string? value, string field) => value?.ToLowerInvariant() switch
    {
        null or "" or "false" or "0" => false,
        "true" or "1" => true,
        _ => throw new ValidationException(field, $"{field} must be true or false; got '{value}'."),
    };
}

/// <summary>Body of POST /api/v1/images/batch/process.</summary>
public sealed record BatchProcessRequest(IReadOnlyList<string>? ImageIds, int? Concurrency);
