using Images.Domain.Images;

namespace Images.Application.Common;

/// <summary>The lower-case status names of the HTTP contract (FR-2.3, FR-3.5).</summary>
public static class ImageStatusContract
{
    public static string ToContract(this ImageStatus status) => status.ToString().ToLowerInvariant();

    public static ImageStatus? Parse(string? value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return value.ToLowerInvariant() switch
        {
            "pending" => ImageStatus.Pending,
            "processing" => ImageStatus.Processing,
            "completed" => ImageStatus.Completed,
            "failed" => ImageStatus.Failed,
            _ => throw new ValidationException(field, $"'{value}' is not a status; use pending, processing, completed or failed."),
        };
    }
}
