namespace Images.Application.Common;

/// <summary>Input that fails validation; becomes a 422 with the field errors.</summary>
public sealed class ValidationException : Exception
{
    public ValidationException(string field, params string[] messages)
        : this(new Dictionary<string, string[]> { [field] = messages })
    {
    }

    public ValidationException(IReadOnlyDictionary<string, string[]> errors)
        : base("One or more validation errors occurred: " + string.Join("; ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"))))
    {
        Errors = errors;
    }

    public IReadOnlyDictionary<string, string[]> Errors { get; }
}

/// <summary>The bytes are not one of the accepted formats, or contradict the declared type (415).</summary>
public sealed class UnsupportedMediaTypeException(string message) : Exception(message);

/// <summary>The body is larger than the configured limit (413).</summary>
public sealed class PayloadTooLargeException(long limitBytes)
    : Exception($"The file exceeds the upload limit of {limitBytes} bytes.")
{
    public long LimitBytes { get; } = limitBytes;
}

/// <summary>A resource that does not exist (404).</summary>
public sealed class NotFoundException(string message) : Exception(message);

/// <summary>An original that cannot be decoded or processed; the reason is stored on the image (FR-2.6).</summary>
public sealed class ImageProcessingException : Exception
{
    public ImageProcessingException(string reason)
        : base(reason)
    {
    }

    public ImageProcessingException(string reason, Exception inner)
        : base(reason, inner)
    {
    }
}

/// <summary>
/// The blob store failed or is full: an infrastructure fault, never the image's (NFR-9). Uploads
/// answer 503 (507 when full) with Retry-After; processing gives the image back and tries again.
/// </summary>
public sealed class StorageUnavailableException(string message, bool full, Exception inner) : Exception(message, inner)
{
    public bool IsFull { get; } = full;
}

/// <summary>The body as a whole is larger than the upload limit plus its form allowance, or has too many parts (413).</summary>
public sealed class RequestTooLargeException(string message) : Exception(message);

/// <summary>The resource exists, but not in the representation asked for (406).</summary>
public sealed class NotAcceptableException(string message) : Exception(message);

/// <summary>
/// An Idempotency-Key used again with a different request (FR-9.4): 422, as the IETF httpapi
/// idempotency-key draft asks.
/// </summary>
public sealed class IdempotencyKeyMismatchException(string message) : Exception(message);

/// <summary>
/// The request that holds an Idempotency-Key did not finish within the wait (FR-9.4): 409, as the
/// draft asks for a retry while the first request is still being processed.
/// </summary>
public sealed class IdempotencyKeyInProgressException(string message) : Exception(message);
