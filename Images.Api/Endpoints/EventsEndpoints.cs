using System.Globalization;
using System.Text;
using Images.Api.Http;
using Images.Application.Common;
using Images.Application.Events.Stream;
using Images.Infrastructure.Persistence;
using Microsoft.AspNetCore.Http.Features;

namespace Images.Api.Endpoints;

/// <summary>
/// FR-12.1: <c>GET /api/v1/events</c>, a server-sent events stream of image state changes, with the
/// webhooks' event types and payloads (FR-10.1), resumable with <c>Last-Event-ID</c> (ADR 16).
/// </summary>
internal static class EventsEndpoints
{
    public const string ContentType = "text/event-stream";

    private static readonly Action<ILogger, Exception?> StreamEndedByDatabase = LoggerMessage.Define(
        LogLevel.Warning, new EventId(1601, nameof(StreamEndedByDatabase)), "Event stream ended: the database is not available; the client reconnects with Last-Event-ID");

    public static IEndpointRouteBuilder MapEventsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/events", StreamEvents)
            .WithTags("events")
            .WithName(nameof(StreamEvents))
            .WithSummary("Server-sent events of image state changes (image.created, image.completed, image.failed, image.deleted)")
            .WithDescription(
                "A `text/event-stream` that stays open. Each event has `id:` (its position in the log, increasing in commit order), " +
                "`event:` (the webhook event type) and `data:` (the webhook payload `{\"type\",\"timestamp\",\"data\": image resource}`, never with GPS). " +
                "The stream opens with an `id:` line (its start position, no data) so that a client that reconnects before any event resumes from there. " +
                "Send `Last-Event-ID` (the last id received) to resume: every event after it is replayed, as long as it is within the replay " +
                "window (IMG_EVENTS_REPLAY_HOURS, default 24); an older or unknown position gets one `event: reset` (data `{\"position\",\"reason\"}`) " +
                "and the stream continues from the oldest kept event: reload your state then. Without it the stream starts with the next event. " +
                "A comment line (`: keep-alive`) is sent after IMG_EVENTS_HEARTBEAT_SECONDS (default 15) of silence. Behind the API key like every " +
                "/api/v1 route: browsers' EventSource cannot send X-API-Key, so read it with fetch() when a key is set (the console does).")
            .Produces(StatusCodes.Status200OK, contentType: ContentType)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireRateLimiting(RateLimiting.Read);
        return app;
    }

    public static async Task StreamEvents(
        HttpContext context,
        StreamEventsHandler handler,
        IHostApplicationLifetime lifetime,
        CancellationToken cancellationToken)
    {
        var lastEventId = ParseLastEventId(context.Request.Headers["Last-Event-ID"].ToString());
        var response = context.Response;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-cache, no-store";
        // nginx and other proxies: do not buffer the stream.
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        // The host's shutdown ends the stream too, so a stopping replica does not wait for its clients.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        var token = linked.Token;
        // The start is fixed first: whatever commits once the client sees the stream open is sent.
        // A database that is away here is answered 503 with Retry-After, as on every route.
        var cursor = await handler.OpenAsync(lastEventId, token);
        try
        {
            // Headers out at once (a client sees the stream is open), and the reconnection delay.
            // The start position goes out as the first id (an "id:" field without data sets the last
            // event id all the same, by the WHATWG parsing rules), so a client that reconnects before
            // any event resumes where it began and misses nothing.
            await WriteAsync(response, $"retry: 2000\nid: {cursor.Position.ToString(CultureInfo.InvariantCulture)}\n: connected\n\n", token);
            await foreach (var item in handler.ReadAsync(cursor, token))
            {
                var text = item switch
                {
                    StreamItem.Event e => $"id: {e.Value.Id.ToString(CultureInfo.InvariantCulture)}\nevent: {e.Value.Type}\ndata: {e.Value.Payload}\n\n",
                    StreamItem.Reset r => $"id: {r.Position.ToString(CultureInfo.InvariantCulture)}\nevent: reset\ndata: {System.Text.Json.JsonSerializer.Serialize(new { position = r.Position, reason = r.Reason })}\n\n",
                    _ => ": keep-alive\n\n",
                };
                await WriteAsync(response, text, token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The client left, or the host is stopping: the stream simply ends.
        }
        catch (IOException)
        {
            // A write to a client that has gone (the connection was reset): nothing to answer.
        }
        catch (Exception ex) when (DatabaseFaults.IsUnavailable(ex))
        {
            // The database went away mid-stream: the headers are sent, so no 503 can be; the stream
            // ends, and the client reconnects after its retry delay with Last-Event-ID, missing nothing.
            StreamEndedByDatabase(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(EventsEndpoints)), ex);
        }
    }

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private static long? ParseLastEventId(string value) =>
        string.IsNullOrWhiteSpace(value)
            ? null
            : long.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                ? id
                : throw new ValidationException("Last-Event-ID", $"Last-Event-ID must be an event id received from this stream (a non-negative integer); got '{value}'.");
}
