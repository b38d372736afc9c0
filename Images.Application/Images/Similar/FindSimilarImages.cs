using Images.Application.Abstractions;
using Images.Application.Common;
using Microsoft.Extensions.Options;

namespace Images.Application.Images.Similar;

public sealed record FindSimilarImagesQuery(Guid ImageId, int? MaxDistance, int? Limit);

/// <summary>One near-duplicate: the image resource with the Hamming distance of its perceptual hash (FR-9.2: <c>{...image, "distance"}</c>).</summary>
public sealed record SimilarImageDto : ImageDto
{
    public SimilarImageDto(ImageDto image, int distance)
        : base(image)
    {
        Distance = distance;
    }

    /// <summary>Bits in which the two 64-bit perceptual hashes differ (0-64).</summary>
    public int Distance { get; init; }
}

public sealed record SimilarImagesPage(IReadOnlyList<SimilarImageDto> Items);

/// <summary>
/// FR-9.2: the images whose perceptual hash is within <c>max_distance</c> bits (0-16, default 8) of
/// this one's, nearest first, the image itself excluded, at most <c>limit</c> (1-100, default 20).
/// The repository answers from the band indexes (ADR 14), never by scanning every row.
/// </summary>
public sealed class FindSimilarImagesHandler(IImageRepository images, IOptions<InsightOptions> insight)
{
    public const int DefaultMaxDistance = 8;
    public const int MaxMaxDistance = 16;
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public async Task<SimilarImagesPage> HandleAsync(FindSimilarImagesQuery query, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var maxDistance = query.MaxDistance ?? DefaultMaxDistance;
        var limit = query.Limit ?? DefaultLimit;
        if (maxDistance is < 0 or > MaxMaxDistance)
        {
            errors["max_distance"] = [$"max_distance must be between 0 and {MaxMaxDistance}; got {maxDistance}."];
        }

        if (limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"limit must be between 1 and {MaxLimit}; got {limit}."];
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        var image = await images.GetAsync(query.ImageId, cancellationToken)
            ?? throw new NotFoundException($"Image {query.ImageId} not found.");
        if (image.Insight is not { } known)
        {
            throw new NotFoundException(
                $"Image {query.ImageId} has no perceptual hash yet (status {image.Status.ToContract()}): it is computed when the image is processed; retry once it is completed.");
        }

        var found = await images.FindSimilarAsync(known.PerceptualHash, image.Id, maxDistance, limit, cancellationToken);
        var exposeGps = insight.Value.ExposeGps;
        return new SimilarImagesPage([.. found.Select(f => new SimilarImageDto(ImageDto.From(f.Image, exposeGps), f.Distance))]);
    }
}
