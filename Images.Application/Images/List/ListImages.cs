using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;

namespace Images.Application.Images.List;

public sealed record ListImagesQuery(int? Offset, int? Limit, ImageStatus? Status, string? Tag = null, string? Filename = null);

public sealed record ImagePage(IReadOnlyList<ImageDto> Items, long Total, int Offset, int Limit);

/// <summary>
/// FR-3.4/FR-3.5/FR-12.3: newest first, limit 1-100 (default 50), optional filters by status, by one
/// tag (exact) and by a filename substring (case-insensitive), all of them together.
/// </summary>
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

        var tag = query.Tag?.Trim();
        if (query.Tag is not null && tag!.Length is 0 or > Tags.MaxLength)
        {
            errors["tag"] = [$"tag must be 1 to {Tags.MaxLength} characters; got {tag.Length}."];
        }
        else if (tag is not null && Tags.HasControlCharacter(tag))
        {
            errors["tag"] = ["tag cannot contain control characters (tags never do)."];
        }

        var filename = query.Filename?.Trim();
        if (query.Filename is not null && filename!.Length is 0 or > Image.MaxFilenameLength)
        {
            errors["filename"] = [$"filename must be 1 to {Image.MaxFilenameLength} characters; got {filename.Length}."];
        }
        else if (filename is not null && Tags.HasControlCharacter(filename))
        {
            errors["filename"] = ["filename cannot contain control characters (stored filenames never do)."];
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        var (items, total) = await images.ListAsync(new ImageListFilter(query.Status, tag, filename), offset, limit, cancellationToken);
        return new ImagePage([.. items.Select(i => ImageDto.From(i, insight.Value.ExposeGps))], total, offset, limit);
    }
}
