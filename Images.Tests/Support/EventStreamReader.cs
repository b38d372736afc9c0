using System.Net;
using System.Text;
using System.Text.Json;

namespace Images.Tests.Support;

/// <summary>One server-sent event as a client sees it (the WHATWG parsing rules, minus the ones we do not send).</summary>
public sealed record ServerSentEvent(string? Id, string Type, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement.Clone();

    public string ImageId => Json.GetProperty("data").GetProperty("id").GetString()!;
}

/// <summary>A GET /api/v1/events stream opened with HttpClient, read line by line; every read has a timeout.</summary>
public sealed class EventStreamReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private EventStreamReader(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _reader = new StreamReader(body, Encoding.UTF8);
    }

    /// <summary>The last <c>id:</c> read, with or without data (what EventSource would send back as Last-Event-ID).</summary>
    public string? LastId { get; private set; }

    /// <summary>Reads the stream's opening block (its <c>id:</c>, <c>retry:</c> and comment) and returns the id.</summary>
    public async Task<string?> ReadOpeningAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        string line;
        while ((line = await RequiredLineAsync(cts.Token, $"no opening block within {timeout}")).Length > 0)
        {
            if (FieldOf(line) is ("id", var value))
            {
                LastId = value;
            }
        }

        return LastId;
    }

    /// <summary>Comment lines seen so far (heartbeats).</summary>
    public List<string> Comments { get; } = [];

    public static async Task<EventStreamReader> OpenAsync(HttpClient client, string? lastEventId = null, string? apiKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events");
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        if (apiKey is not null)
        {
            request.Headers.Add("X-API-Key", apiKey);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            // Only a refusal has a body that ends: the stream's is read line by line below.
            Assert.Fail($"GET /api/v1/events answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cts.Token)}");
        }

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new EventStreamReader(response, await response.Content.ReadAsStreamAsync(cts.Token));
    }

    /// <summary>The next event (comments are collected on the way); fails after <paramref name="timeout"/>.</summary>
    public async Task<ServerSentEvent> NextAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        string? id = null;
        string type = "message";
        var data = new StringBuilder();
        while (true)
        {
            var line = await RequiredLineAsync(cts.Token, $"no event within {timeout}");
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    return new ServerSentEvent(id, type, data.ToString());
                }

                id = null;
                type = "message";
                continue;
            }

            if (line.StartsWith(':'))
            {
                Comments.Add(line[1..].Trim());
                continue;
            }

            var (field, value) = FieldOf(line);
            switch (field)
            {
                case "id":
                    id = value;
                    LastId = value;
                    break;
                case "event":
                    type = value;
                    break;
                case "data":
                    data.Append(data.Length > 0 ? "\n" : string.Empty).Append(value);
                    break;
            }
        }
    }

    /// <summary>Reads until a comment line with this text arrives (a heartbeat); events on the way are dropped.</summary>
    public async Task WaitForCommentAsync(string comment, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var line = await RequiredLineAsync(cts.Token, $"no ': {comment}' within {timeout}");
            if (line.StartsWith(':') && line[1..].Trim() == comment)
            {
                Comments.Add(comment);
                return;
            }
        }
    }

    /// <summary>The next line; fails with <paramref name="missing"/> when none comes in time, and when the stream ends (the server never ends it on its own).</summary>
    private async Task<string> RequiredLineAsync(CancellationToken cancellationToken, string missing)
    {
        string? line;
        try
        {
            line = await _reader.ReadLineAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail(missing);
            throw;
        }

        Assert.NotNull(line);
        return line;
    }

    /// <summary>A field line's name and value, by the WHATWG rules (one space after the colon dropped).</summary>
    private static (string Field, string Value) FieldOf(string line)
    {
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (line, string.Empty) : (line[..colon], line[(colon + 1)..].TrimStart(' '));
    }

    /// <summary>True when the server ends the stream (or drops the connection) within <paramref name="timeout"/>; lines on the way are dropped.</summary>
    public async Task<bool> EndsWithinAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await _reader.ReadLineAsync(cts.Token) is not null)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return true;
        }
    }

    /// <summary>Events until one satisfies <paramref name="until"/> (included), in order.</summary>
    public async Task<List<ServerSentEvent>> ReadUntilAsync(Func<ServerSentEvent, bool> until, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var seen = new List<ServerSentEvent>();
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            Assert.True(left > TimeSpan.Zero, $"the awaited event did not come within {timeout}; saw: {string.Join(", ", seen.Select(e => $"{e.Id} {e.Type}"))}");
            var next = await NextAsync(left);
            seen.Add(next);
            if (until(next))
            {
                return seen;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        await Task.CompletedTask;
    }
}
