using Microsoft.Extensions.Options;
using Images.Api.Http;
using Images.Application.Common;
using Images.Application.Images.Get;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Images.Api.Endpoints;

/// <summary>FR-8.5: POST /api/v1/images/{id}/signed-urls (ADR 10).</summary>
internal static class SignedUrlEndpoints
{
    public const string Thumbnail = "thumbnail";

    /// <summary>The formats a rendition can be asked for by name (FR-8.2, FR-8.3).</summary>
    public static readonly IReadOnlyList<string> Formats = ["jpeg", "webp", "avif", "png"];


    public static IEndpointRouteBuilder MapSignedUrlEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1/images")
            .WithTags(ImagesEndpoints.Tag)
            .MapPost("/{id}/signed-urls", CreateSignedUrl)
            .WithName(nameof(CreateSignedUrl))
            .WithSummary("Sign a URL of the original or a rendition that works without the API key until it expires")
            .WithDescription(
                "Body (every field optional): `rendition` (null: the original; `thumbnail`), `format` (jpeg, webp, avif, png; " +
                "renditions only), `expires_in` (60-604800 s, default 3600). Answers `{\"url\", \"expires_at\"}`: `url` is a " +
                "path with `expires` and `sig` (HMAC-SHA256 with the first key of IMG_URL_SIGNING_KEYS). The original and " +
                "the thumbnail are signed as `/download` URLs; a rendition with a format as `/renditions/{name}?format=`. " +
                "Any change to the URL, or its expiry, gives 403. 501 when no signing key is configured.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status501NotImplemented)
            .RequireRateLimiting(RateLimiting.Read);
        return app;
    }

    public static async Task<Ok<SignedUrlResponse>> CreateSignedUrl(
        string id,
        SignedUrlRequest? request,
        GetImageHandler images,
        UrlSigner signer,
        IOptions<ProcessingOptions> processing,
        CancellationToken cancellationToken)
    {
        if (!signer.Enabled)
        {
            throw new SignedUrlsNotConfiguredException();
        }

        var imageId = ImagesEndpoints.ParseId(id);
        // Renditions a URL can be signed for, besides the original (null): those of IMG_RENDITIONS (FR-8.1).
        var renditions = processing.Value.Renditions.Select(r => r.Name).ToList();
        var (rendition, format, lifetime) = Validate(request ?? new SignedUrlRequest(null, null, null), renditions);
        // 404 for an unknown image, as every /{id} route.
        await images.HandleAsync(imageId, cancellationToken);

        var image = $"/api/v1/images/{imageId:D}";
        var (path, query) = (rendition, format) switch
        {
            (null, _) => ($"{image}/download", new List<KeyValuePair<string, string>>()),
            (Thumbnail, null) => ($"{image}/download", [new("thumbnail", "true")]),
            (_, null) => ($"{image}/renditions/{rendition}", []),
            _ => ($"{image}/renditions/{rendition}", [new("format", format)]),
        };
        var signed = signer.Sign(path, query, TimeSpan.FromSeconds(lifetime));
        return TypedResults.Ok(new SignedUrlResponse(signed.Url, signed.ExpiresAt));
    }

    private static (string? Rendition, string? Format, int Lifetime) Validate(SignedUrlRequest request, IReadOnlyList<string> renditions)
    {
        var errors = new Dictionary<string, string[]>();
        var lifetime = request.ExpiresIn ?? UrlSigner.DefaultLifetimeSeconds;
        if (lifetime is < UrlSigner.MinLifetimeSeconds or > UrlSigner.MaxLifetimeSeconds)
        {
            errors["expires_in"] = [$"expires_in must be between {UrlSigner.MinLifetimeSeconds} and {UrlSigner.MaxLifetimeSeconds} seconds; got {lifetime}."];
        }

        if (request.Rendition is { } name && !renditions.Contains(name, StringComparer.Ordinal))
        {
            errors["rendition"] = [$"rendition must be null (the original) or one of {string.Join(", ", renditions)}; got '{name}'."];
        }

        var format = request.Format?.ToLowerInvariant();
        if (format is not null)
        {
            if (!Formats.Contains(format, StringComparer.Ordinal))
            {
                errors["format"] = [$"format must be one of {string.Join(", ", Formats)}; got '{request.Format}'."];
            }
            else if (request.Rendition is null)
            {
                errors["format"] = ["format applies to renditions; the original is served as it was uploaded."];
            }
        }

        return errors.Count > 0 ? throw new ValidationException(errors) : (request.Rendition, format, lifetime);
    }
}

/// <summary>Body of POST /api/v1/images/{id}/signed-urls (snake_case: <c>rendition</c>, <c>format</c>, <c>expires_in</c>).</summary>
public sealed record SignedUrlRequest(string? Rendition, string? Format, int? ExpiresIn);

/// <summary>A path that works without the API key until <paramref name="ExpiresAt"/>.</summary>
public sealed record SignedUrlResponse(string Url, DateTimeOffset ExpiresAt);
