using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Shared host defaults (the Aspire ServiceDefaults pattern): OpenTelemetry with OTLP when an endpoint
/// is configured, Prometheus metrics, health checks on /health (ready) and /alive (live), service
/// discovery and resilient HTTP clients.
/// </summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";
    public const string MetricsEndpointPath = "/metrics";

    /// <summary>Every ActivitySource and Meter of this solution starts with this prefix.</summary>
    public const string TelemetryPrefix = "Images.";

    /// <summary>
    /// Telemetry, health checks and resilient HTTP clients for a service. <paramref name="role"/>
    /// names a host beside the Api ("worker", "migrations"): its service name is the Api's plus
    /// "-role", unless the orchestrator names it (OTEL_SERVICE_NAME, as Aspire does).
    /// </summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder, string? role = null)
        where TBuilder : IHostApplicationBuilder
    {
        var identity = ServiceIdentity.From(builder.Configuration, role);
        builder.Services.AddSingleton(identity);
        var settings = HostSettings.Read(builder.Configuration);
        builder.Services.AddOptions<HostSettings>().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<HostSettings>>(new HostSettings.Validator(settings));

        if (settings.Debug)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
        }

        if (settings.JsonLogs)
        {
            // One JSON object per line with the trace_id and span_id of the current activity.
            builder.Logging.ClearProviders();
            builder.Logging.Configure(options => options.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
            builder.Logging.AddJsonConsole(options =>
            {
                options.IncludeScopes = true;
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }

        builder.ConfigureOpenTelemetry(identity, settings);
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    private static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder, ServiceIdentity identity, HostSettings settings)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(identity.Name, serviceVersion: identity.Version))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(TelemetryPrefix + "*")
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(TelemetryPrefix + "*")
                .AddAspNetCoreInstrumentation(options =>
                    options.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HealthEndpointPath) &&
                        !context.Request.Path.StartsWithSegments(AlivenessEndpointPath) &&
                        !context.Request.Path.StartsWithSegments(MetricsEndpointPath))
                .AddHttpClientInstrumentation());

        // Aspire injects OTEL_EXPORTER_OTLP_ENDPOINT; the seed's IMG_OTEL_ENABLED +
        // IMG_OTEL_EXPORTER_OTLP_ENDPOINT work too. Without either, nothing is exported over OTLP.
        if (settings.OtlpEndpoint is { } endpoint)
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter(OpenTelemetry.Exporter.OtlpExportProtocol.Grpc, endpoint);
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// /health: every check (the database among them), answered in the seed's shape
    /// <c>{"status","service","version"}</c>, 503 when unhealthy; /alive: the process only;
    /// /metrics: Prometheus. Mapped in every environment: Kubernetes probes them.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        var serviceName = app.Services.GetRequiredService<ServiceIdentity>().Name;
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions
        {
            ResponseWriter = (context, report) => WriteHealthAsync(context, report, serviceName),
        });
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("live"),
            ResponseWriter = (context, report) => WriteHealthAsync(context, report, serviceName),
        });
        app.MapPrometheusScrapingEndpoint(MetricsEndpointPath);
        return app;
    }

    private static Task WriteHealthAsync(HttpContext context, HealthReport report, string serviceName)
    {
        context.Response.ContentType = "application/json";
        var body = new Dictionary<string, object>
        {
            ["status"] = report.Status == HealthStatus.Unhealthy ? "unhealthy" : "healthy",
            ["service"] = serviceName,
            ["version"] = ServiceIdentity.CurrentVersion,
            ["checks"] = report.Entries.ToDictionary(
                e => e.Key,
                e => e.Value.Status == HealthStatus.Unhealthy ? "unhealthy" : "healthy"),
            // What a check says of itself (the active image processor, say, NFR-4); never exceptions.
            ["details"] = report.Entries
                .Where(e => !string.IsNullOrEmpty(e.Value.Description))
                .ToDictionary(e => e.Key, e => e.Value.Description!),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }

}

/// <summary>
/// The one name and version of a service, decided once: its telemetry resource and its /health
/// body say the same. OTEL_SERVICE_NAME (set per resource by Aspire) wins; else
/// IMG_OTEL_SERVICE_NAME (default "image-processing-service"), with "-worker" or "-migrations"
/// for the hosts beside the Api.
/// </summary>
public sealed record ServiceIdentity(string Name, string Version)
{
    public const string DefaultName = "image-processing-service";

    public static string CurrentVersion { get; } =
        (Assembly.GetEntryAssembly() ?? typeof(ServiceIdentity).Assembly)
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1.0.0";

    public static ServiceIdentity From(Microsoft.Extensions.Configuration.IConfiguration configuration, string? role)
    {
        if (configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } orchestrated)
        {
            return new ServiceIdentity(orchestrated, CurrentVersion);
        }

        var name = configuration["IMG_OTEL_SERVICE_NAME"] is { Length: > 0 } configured ? configured.Trim() : DefaultName;
        return new ServiceIdentity(role is null ? name : $"{name}-{role}", CurrentVersion);
    }
}
