namespace Images.Application.Abstractions;

/// <summary>What a pass of the blob collector did: originals deleted, and deletions that failed (kept for the next pass).</summary>
public readonly record struct BlobCollection(int Deleted, int Errors);
