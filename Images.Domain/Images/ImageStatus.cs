namespace Images.Domain.Images;

/// <summary>Processing lifecycle of an image (FR-2.3).</summary>
public enum ImageStatus
{
    Pending,
    Processing,
    Completed,
    Failed,
}
