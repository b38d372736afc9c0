using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;
using Microsoft.Extensions.Options;

namespace Images.Application.Images.GetRendition;

/// <summary>One media range of an <c>Accept</c> header, parsed at the edge (<c>image/webp;q=0.9</c>).</summary>
public sealed record AcceptedType(string MediaType, double Quality);

/// <summary>
/// GET /api/v1/images/{id}/renditions/{name}: <paramref name="Format"/> is <c>?format=</c> (null
/// when absent); <paramref name="Accept"/> the request's media ranges (empty when absent).
/// </summary>
public sealed record GetRenditionQuery(Guid ImageId, string Name, string? Format, IReadOnlyList<AcceptedType> Accept);

/// <summary>
/// A rendition file to send; the file under a key is written once and never replaced by other
/// bytes (<see cref="DerivedKeys"/>), so it may be cached for good.
/// </summary>
public sealed record RenditionFile(Stream Content, string ContentType, string FileName, DateTimeOffset LastModified);

/// <summary>
/// FR-8.3: serves one rendition in the format asked by <c>?format=</c>, or else negotiated from
/// <c>Accept</c> (<see cref="RenditionNegotiation"/>). Unknown rendition: 404; unknown format: 422;
/// a format this image has not (PNG without alpha): 422; AVIF where the encoder was missing: 406;
/// not made yet (pending, processing, failed): 404 saying so.
/// </summary>
public sealed class GetRenditionHandler(IImageRepository images, IBlobStore blobs, IOptions<ProcessingOptions> options)
{
    public async Task<RenditionFile> HandleAsync(GetRenditionQuery query, CancellationToken cancellationToken)
    {
        RenditionFormat? asked = null;
        if (query.Format is not null)
        {
            asked = RenditionFormatExtensions.Parse(query.Format)
                ?? throw new ValidationException("format", $"format must be one of jpeg, webp, avif, png; got '{query.Format}'.");
        }

        var image = await images.GetAsync(query.ImageId, cancellationToken)
            ?? throw new NotFoundException($"Image {query.ImageId} not found.");
        var configured = options.Value.Renditions;
        var rendition = image.Renditions.FirstOrDefault(r => r.Name == query.Name);
        if (rendition is null && query.Name == Rendition.Thumbnail && image.Status == ImageStatus.Completed && image.ThumbnailAvailable && image.Renditions.Count == 0)
        {
            // Completed before renditions existed: its JPEG thumbnail is all there is (FR-3.3's file).
            rendition = new Rendition(Rendition.Thumbnail, 0, 0, [RenditionFormat.Jpeg]);
        }

        if (rendition is null)
        {
            if (configured.All(r => r.Name != query.Name))
            {
                throw new NotFoundException(
                    $"There is no rendition named '{query.Name}'; the renditions are {string.Join(", ", configured.Select(r => r.Name))} (IMG_RENDITIONS).");
            }

            throw new NotFoundException(image.Status == ImageStatus.Completed
                ? $"The rendition '{query.Name}' of image {query.ImageId} was not made: the image was processed before it was configured."
                : $"The rendition '{query.Name}' of image {query.ImageId} is not made yet (status: {image.Status.ToContract()}); retry once processing has completed.");
        }

        var format = asked ?? RenditionNegotiation.Choose(rendition.Formats, query.Accept);
        if (!rendition.Has(format))
        {
            if (format == RenditionFormat.Avif)
            {
                throw new NotAcceptableException($"AVIF is not available for image {query.ImageId}: the AVIF encoder (libavif) was missing where it was processed. Ask for webp or jpeg.");
            }

            throw new ValidationException("format", format == RenditionFormat.Png
                ? "png is made only for images with alpha; this image has none. Ask for jpeg, webp or avif."
                : $"{format.ContractName()} was not made for this image; it has {string.Join(", ", rendition.Formats.Select(f => f.ContractName()))}.");
        }

        var key = DerivedKeys.Rendition(image.Id, rendition, format);
        var stream = await (rendition.Name == Rendition.Thumbnail && format == RenditionFormat.Jpeg
                ? blobs.OpenThumbnailAsync(image.Id, cancellationToken)
                : blobs.OpenDerivedAsync(key, cancellationToken))
            ?? throw new NotFoundException($"The {format.ContractName()} file of rendition '{rendition.Name}' of image {image.Id} is missing from storage.");
        var name = $"{Path.GetFileNameWithoutExtension(image.Filename)}_{rendition.Name}.{format.Extension()}";
        return new RenditionFile(stream, format.ContentType(), name, image.UpdatedAt);
    }
}

/// <summary>
/// FR-8.3's choice of format from <c>Accept</c>: AVIF, then WebP, then JPEG; PNG only when asked
/// for by name with a higher quality than every other format the image has. AVIF, WebP and PNG are
/// chosen only when named (<c>image/avif</c>): a client that sends <c>*/*</c> or <c>image/*</c>
/// may not decode them, so wildcards, no header, and a header that names nothing we have, all give
/// JPEG. Among the named, the highest q wins, ties in the order above; q=0 refuses a format.
/// </summary>
public static class RenditionNegotiation
{
    private static readonly RenditionFormat[] Preference = [RenditionFormat.Avif, RenditionFormat.Webp, RenditionFormat.Jpeg, RenditionFormat.Png];

    public static RenditionFormat Choose(IReadOnlyList<RenditionFormat> available, IReadOnlyList<AcceptedType> accept)
    {
        var best = RenditionFormat.Jpeg;
        var bestQuality = 0.0;
        foreach (var format in Preference)
        {
            if (!available.Contains(format))
            {
                continue;
            }

            var quality = QualityOf(format, accept);
            if (quality > bestQuality)
            {
                best = format;
                bestQuality = quality;
            }
        }

        return bestQuality > 0 ? best : RenditionFormat.Jpeg;
    }

    /// <summary>The q of the most specific range naming the format (JPEG also by image/* and */*); 0 when none does.</summary>
    private static double QualityOf(RenditionFormat format, IReadOnlyList<AcceptedType> accept)
    {
        var exact = accept.Where(a => string.Equals(a.MediaType, format.ContentType(), StringComparison.OrdinalIgnoreCase)
                || (format == RenditionFormat.Jpeg && string.Equals(a.MediaType, "image/jpg", StringComparison.OrdinalIgnoreCase)))
            .Select(a => (double?)a.Quality).Max();
        if (exact is { } q || format != RenditionFormat.Jpeg)
        {
            return exact ?? 0;
        }

        var wildcard = accept.Where(a => a.MediaType is "image/*" or "*/*").Select(a => (double?)a.Quality).Max();
        return wildcard ?? (accept.Count == 0 ? 1 : 0);
    }
}
