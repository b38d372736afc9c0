namespace Images.Infrastructure.Persistence;

/// <summary>An original whose last reference may be gone; collected under the hash's lock.</summary>
internal sealed class BlobCollectionEntry
{
    public string ContentHash { get; set; } = string.Empty;

    public DateTimeOffset EnqueuedAt { get; set; }
}
