using System.Diagnostics;

namespace Images.Api.Http;

/// <summary>
/// FR-5.2: one structured log line per request with method, path, status and latency. The path
/// only: the query string can carry a signed URL's signature (FR-8.5), and a path that carries one
/// (a signed URL whose "?" was lost) is logged cut before it.
/// </summary>
internal sealed partial class RequestLoggingMiddleware(RequestDelegate next, ILogger<RequestLoggingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            LogRequest(
                context.Request.Method,
                UrlSigner.RedactPath(context.Request.Path.Value ?? "/"),
                context.Response.StatusCode,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP {Method} {Path} responded {StatusCode} in {LatencyMs:F1} ms for {ClientIp}")]
    private partial void LogRequest(string method, string path, int statusCode, double latencyMs, string clientIp);
}
