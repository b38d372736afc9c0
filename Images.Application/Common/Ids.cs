namespace Images.Application.Common;

public static class Ids
{
    /// <summary>Parses an image id from a path or body; a malformed one is a 422, never a 500.</summary>
    public static Guid Parse(string? value, string field)
    {
        if (Guid.TryParse(value, out var id))
        {
            return id;
        }

        throw new ValidationException(field, $"'{value}' is not a valid UUID.");
    }
}
