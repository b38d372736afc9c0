using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Images.Application.Common.Settings;

/// <summary>
/// Reads the seed's IMG_ variables (NFR-2) with their defaults and records every bad value with a
/// message that names the variable, so start-up can stop with all of them at once.
/// </summary>
public sealed class ImgSettingsReader(IConfiguration configuration)
{
    private readonly List<string> _errors = [];

    public IReadOnlyList<string> Errors => _errors;

    public IConfiguration Configuration { get; } = configuration;

    public string? Raw(string name)
    {
        var value = Configuration[name];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    public string String(string name, string defaultValue) => Raw(name) ?? defaultValue;

    public int Int(string name, int defaultValue, int min, int max) => (int)Long(name, defaultValue, min, max);

    public long Long(string name, long defaultValue, long min, long max)
    {
        var raw = Raw(name);
        if (raw is null)
        {
            return defaultValue;
        }

        if (long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        _errors.Add($"{name} must be an integer between {min} and {max}; got '{raw}'.");
        return defaultValue;
    }

    public bool Bool(string name, bool defaultValue)
    {
        var raw = Raw(name);
        if (raw is null)
        {
            return defaultValue;
        }

        switch (raw.ToLowerInvariant())
        {
            case "true" or "1" or "yes" or "on":
                return true;
            case "false" or "0" or "no" or "off":
                return false;
            default:
                _errors.Add($"{name} must be true or false; got '{raw}'.");
                return defaultValue;
        }
    }

    /// <summary>One of a few words (compared ignoring case), returned as listed.</summary>
    public string OneOf(string name, string defaultValue, params string[] allowed)
    {
        var raw = Raw(name);
        if (raw is null)
        {
            return defaultValue;
        }

        var match = allowed.FirstOrDefault(a => string.Equals(a, raw, StringComparison.OrdinalIgnoreCase));
        if (match is null)
        {
            _errors.Add($"{name} must be one of {string.Join(", ", allowed)}; got '{raw}'.");
            return defaultValue;
        }

        return match;
    }

    /// <summary>A list given as JSON (<c>["a","b"]</c>, as pydantic takes it) or comma-separated.</summary>
    public IReadOnlyList<string> List(string name, IReadOnlyList<string> defaultValue)
    {
        var raw = Raw(name);
        if (raw is null)
        {
            return defaultValue;
        }

        if (raw.StartsWith('['))
        {
            try
            {
                var items = JsonSerializer.Deserialize<string[]>(raw) ?? [];
                return [.. items.Select(i => i.Trim()).Where(i => i.Length > 0)];
            }
            catch (JsonException)
            {
                _errors.Add($"{name} must be a JSON array of strings or a comma-separated list; got '{raw}'.");
                return defaultValue;
            }
        }

        return [.. raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    public void Require(bool condition, string message)
    {
        if (!condition)
        {
            _errors.Add(message);
        }
    }
}
