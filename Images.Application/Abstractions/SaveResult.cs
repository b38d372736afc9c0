namespace Images.Application.Abstractions;

/// <summary>How a save of an image went: stored, lost to another writer, or the row is gone.</summary>
public enum SaveResult
{
    Saved,
    Conflict,
    Gone,
}
