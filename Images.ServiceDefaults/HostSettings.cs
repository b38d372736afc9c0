using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The seed's host-level variables (NFR-2): IMG_DEBUG, IMG_LOG_JSON, IMG_OTEL_ENABLED and
/// IMG_OTEL_EXPORTER_OTLP_ENDPOINT. They are read while the host is composed (they decide the
/// logging and the exporters), and like every IMG_ variable a bad value stops the process at
/// start-up with a message naming it (a typo such as IMG_DEBUG=ture is not silently false).
/// </summary>
public sealed class HostSettings
{
    public bool Debug { get; private init; }

    public bool JsonLogs { get; private init; }

    /// <summary>Where OTLP goes: Aspire's OTEL_EXPORTER_OTLP_ENDPOINT, else the seed's pair, else nowhere.</summary>
    public Uri? OtlpEndpoint { get; private init; }

    public IReadOnlyList<string> Errors { get; private init; } = [];

    public static HostSettings Read(IConfiguration configuration)
    {
        var errors = new List<string>();
        var otelEnabled = Bool(configuration, "IMG_OTEL_ENABLED", errors);
        var endpoint = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var variable = "OTEL_EXPORTER_OTLP_ENDPOINT";
        if (string.IsNullOrWhiteSpace(endpoint) && otelEnabled)
        {
            endpoint = configuration["IMG_OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 } configured ? configured.Trim() : "http://localhost:4317";
            variable = "IMG_OTEL_EXPORTER_OTLP_ENDPOINT";
        }

        Uri? otlp = null;
        if (!string.IsNullOrWhiteSpace(endpoint) &&
            (!Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out otlp) || otlp.Scheme is not ("http" or "https")))
        {
            otlp = null;
            errors.Add($"{variable} must be an absolute URL such as http://collector:4317; got '{endpoint}'.");
        }

        return new HostSettings
        {
            Debug = Bool(configuration, "IMG_DEBUG", errors),
            JsonLogs = Bool(configuration, "IMG_LOG_JSON", errors),
            OtlpEndpoint = otlp,
            Errors = errors,
        };
    }

    private static bool Bool(IConfiguration configuration, string name, List<string> errors)
    {
        var raw = configuration[name]?.Trim();
        switch (raw?.ToLowerInvariant())
        {
            case null or "":
                return false;
            case "true" or "1" or "yes" or "on":
                return true;
            case "false" or "0" or "no" or "off":
                return false;
            default:
                errors.Add($"{name} must be true or false; got '{raw}'.");
                return false;
        }
    }

    /// <summary>Stops the host at start-up when a variable above, as read while composing, was bad.</summary>
    internal sealed class Validator(HostSettings read) : IValidateOptions<HostSettings>
    {
        public ValidateOptionsResult Validate(string? name, HostSettings options) =>
            read.Errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(read.Errors);
    }
}
