namespace Images.Domain.Common;

/// <summary>A rule of the domain was broken by the caller's input; carries field-level messages.</summary>
public sealed class DomainValidationException : Exception
{
    public DomainValidationException(string field, string message)
        : this(new Dictionary<string, string[]> { [field] = [message] })
    {
    }

    public DomainValidationException(IReadOnlyDictionary<string, string[]> errors)
        : base(string.Join("; ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"))))
    {
        Errors = errors;
    }

    public IReadOnlyDictionary<string, string[]> Errors { get; }
}

/// <summary>A state change the lifecycle does not allow (FR-2.3).</summary>
public sealed class InvalidStatusTransitionException(string message) : Exception(message);
