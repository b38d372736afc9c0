using Images.Domain.Images;

namespace Images.Application.Abstractions;

/// <summary>
/// Which images a list shows (FR-3.5, FR-12.3): each condition that is set must hold. <see cref="Tag"/>
/// is one of the image's tags exactly (tags are case-sensitive, FR-1.5); <see cref="FilenameContains"/>
/// is a substring of its filename, ignoring case.
/// </summary>
public sealed record ImageListFilter(ImageStatus? Status = null, string? Tag = null, string? FilenameContains = null)
{
    public static readonly ImageListFilter All = new();

    /// <summary>Only a status: the total is then the maintained per-status count, not a count of rows.</summary>
    public bool IsStatusOnly => Tag is null && FilenameContains is null;
}
