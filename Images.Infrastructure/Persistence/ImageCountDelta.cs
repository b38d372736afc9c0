namespace Images.Infrastructure.Persistence;

/// <summary>
/// Changes of the row count per status, appended by a trigger and compacted now and then, so the
/// list's total never counts the whole table (NFR-3) and writers never contend on a counter row.
/// </summary>
internal sealed class ImageCountDelta
{
    public long Id { get; set; }

    public string Status { get; set; } = string.Empty;

    public long Delta { get; set; }
}
