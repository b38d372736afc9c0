using Images.Application.Common.Settings;

namespace Images.Api;

/// <summary>HTTP-level settings: API key (FR-7.1), rate limits (FR-7.2), CORS (FR-7.3), docs (FR-6).</summary>
public sealed class ApiOptions : IImgSettings<ApiOptions>
{
    /// <summary>The placeholder key of the manifests and docs; a deployment that kept it is refused at start-up.</summary>
    public const string PlaceholderApiKey = "CHANGE-ME";

    /// <summary>Keys shorter than this still work (the seed's clients may have them) but are warned about at start-up.</summary>
    public const int RecommendedApiKeyLength = 16;

    public string? ApiKey { get; set; }

    public RateLimit Upload { get; set; } = new(10, 60);

    public RateLimit Process { get; set; } = new(20, 60);

    public RateLimit Read { get; set; } = new(60, 60);

    public IReadOnlyList<string> CorsOrigins { get; set; } = [];

    public IReadOnlyList<string> CorsMethods { get; set; } = ["GET", "POST", "PUT", "DELETE", "OPTIONS"];

    public IReadOnlyList<string> CorsHeaders { get; set; } = ["*"];

    public bool DocsEnabled { get; set; } = true;

    /// <summary>IMG_CONSOLE_ENABLED: serve the web console at /console (FR-12.3).</summary>
    public bool ConsoleEnabled { get; set; } = true;

    /// <summary>
    /// IMG_TRUSTED_PROXIES: addresses or CIDR networks of the proxies in front of the Api (an
    /// ingress). Only from them is X-Forwarded-For believed, for the rate limits and the request log
    /// (NFR-9); empty (the default) believes no one.
    /// </summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxies { get; set; } = [];

    public static void Bind(ApiOptions options, ImgSettingsReader reader)
    {
        options.ApiKey = reader.Raw("IMG_API_KEY");
        // Raw() has trimmed the value already; the placeholder is refused in any letter case.
        reader.Require(
            !string.Equals(options.ApiKey, PlaceholderApiKey, StringComparison.OrdinalIgnoreCase),
            $"IMG_API_KEY is still the placeholder '{PlaceholderApiKey}'; set a real key (README, Deploying).");
        options.Upload = RateLimit.Read(reader, "IMG_RATE_LIMIT_UPLOAD_MAX", "IMG_RATE_LIMIT_UPLOAD_WINDOW", options.Upload);
        options.Process = RateLimit.Read(reader, "IMG_RATE_LIMIT_PROCESS_MAX", "IMG_RATE_LIMIT_PROCESS_WINDOW", options.Process);
        options.Read = RateLimit.Read(reader, "IMG_RATE_LIMIT_READ_MAX", "IMG_RATE_LIMIT_READ_WINDOW", options.Read);
        options.CorsOrigins = reader.List("IMG_CORS_ORIGINS", options.CorsOrigins);
        options.CorsMethods = reader.List("IMG_CORS_ALLOW_METHODS", options.CorsMethods);
        options.CorsHeaders = reader.List("IMG_CORS_ALLOW_HEADERS", options.CorsHeaders);
        options.DocsEnabled = reader.Bool("IMG_DOCS_ENABLED", options.DocsEnabled);
        options.ConsoleEnabled = reader.Bool("IMG_CONSOLE_ENABLED", options.ConsoleEnabled);
        var proxies = new List<System.Net.IPNetwork>();
        foreach (var entry in reader.List("IMG_TRUSTED_PROXIES", []))
        {
            if (System.Net.IPNetwork.TryParse(entry, out var network))
            {
                proxies.Add(network);
            }
            else if (System.Net.IPAddress.TryParse(entry, out var address))
            {
                proxies.Add(new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                reader.Require(false, $"IMG_TRUSTED_PROXIES holds '{entry}', which is neither an IP address nor a CIDR network (e.g. 10.0.0.0/8).");
            }
        }

        options.TrustedProxies = proxies;
        foreach (var origin in options.CorsOrigins)
        {
            reader.Require(
                origin == "*" || (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"),
                $"IMG_CORS_ORIGINS holds '{origin}', which is not an http(s) origin.");
        }
    }
}

public sealed record RateLimit(int PermitLimit, int WindowSeconds)
{
    /// <summary>A limit from its two variables: requests, and the window in seconds.</summary>
    public static RateLimit Read(ImgSettingsReader reader, string maxVariable, string windowVariable, RateLimit defaults) => new(
        reader.Int(maxVariable, defaults.PermitLimit, 1, 1_000_000),
        reader.Int(windowVariable, defaults.WindowSeconds, 1, 86_400));
}
