using Images.Domain.Images;

namespace Images.Application.Abstractions;

/// <summary>
/// An upload written to temporary storage and hashed, not yet part of the store. Disposing it
/// removes what was not committed.
/// </summary>
public abstract class StagedBlob : IAsyncDisposable
{
    protected StagedBlob(ContentHash hash, long length)
    {
        Hash = hash;
        Length = length;
    }

    public ContentHash Hash { get; }

    public long Length { get; }

    public abstract ValueTask DisposeAsync();
}
