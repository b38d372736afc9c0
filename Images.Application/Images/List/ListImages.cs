using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;

namespace Images.Application.Images.List;

public sealed record ListImagesQuery(int? Offset, int? Limit, ImageStatus? Status);

public sealed record ImagePage(IReadOnlyList<ImageDto> Items, long Total, int Offset, int Limit);

/// <summary>FR-3.4/FR-3.5: newest first, limit 1-100 (default 50), optional status filter.</summary>
public sealed class ListImagesHandler(IImageRepository images, Microsoft.Extensions.Options.IOptions<InsightOptions> insight)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 100;

    public async Task<ImagePage> HandleAsync(ListImagesQuery query, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var offset = query.Offset ?? 0;
        var limit = query.Limit ?? DefaultLimit;
        if (offset < 0)
        {
            errors["offset"] = [$"offset must be 0 or more; got {offset}."];
        }

        if (limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"limit must be between 1 and {MaxLimit}; got {limit}."];
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        var (items, total) = await images.ListAsync(query.Status, offset, limit, cancellationToken);
        return new ImagePage([.. items.Select(i => ImageDto.From(i, insight.Value.ExposeGps))], total, offset, limit);
    }
}
