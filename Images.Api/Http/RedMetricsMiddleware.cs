using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Images.Api.Http;

/// <summary>
/// RED metrics with the seed's Prometheus names (FR-5.3): http_requests_total,
/// http_request_errors_total, http_request_duration_seconds and http_active_requests, labelled
/// with method, route template and status code.
/// </summary>
internal sealed class RedMetricsMiddleware : IDisposable
{
    public const string MeterName = "Images.Http";

    private readonly RequestDelegate _next;
    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _duration;
    private readonly UpDownCounter<long> _active;

    public RedMetricsMiddleware(RequestDelegate next, IMeterFactory meters)
    {
        _next = next;
        _meter = meters.Create(MeterName);
        _requests = _meter.CreateCounter<long>("http_requests", description: "HTTP requests served.");
        _errors = _meter.CreateCounter<long>("http_request_errors", description: "HTTP requests answered with a 5xx status.");
        _duration = _meter.CreateHistogram<double>("http_request_duration", unit: "s", description: "HTTP request latency.");
        _active = _meter.CreateUpDownCounter<long>("http_active_requests", description: "HTTP requests in flight.");
        _errors.Add(0);
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        _active.Add(1);
        try
        {
            await _next(context);
        }
        finally
        {
            _active.Add(-1);
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            var status = context.Response.StatusCode;
            var tags = new TagList
            {
                { "method", context.Request.Method },
                { "route", route },
                { "status", status.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            };
            _requests.Add(1, tags);
            if (status >= 500)
            {
                _errors.Add(1, tags);
            }

            _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    public void Dispose() => _meter.Dispose();
}
