using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Images.Tests.Support;

/// <summary>
/// A webhook receiver for the tests: Kestrel on a fixed loopback port that can be stopped and
/// started again on the same port (a real outage). It verifies every request's Standard Webhooks
/// signature with its own implementation of the specification (not the service's code): HMAC-SHA256
/// keyed with the base64-decoded secret after <c>whsec_</c>, over <c>{webhook-id}.{webhook-timestamp}.{raw body}</c>,
/// compared with each space-separated <c>v1,</c> signature of the header.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private WebApplication? _app;

    public WebhookReceiver(int? port = null)
    {
        Port = port ?? Ports.Free();
    }

    public int Port { get; }

    public string Url(string path = "/hook") => $"http://127.0.0.1:{Port}{path}";

    /// <summary>The secrets of the subscriptions that post here, by path.</summary>
    public ConcurrentDictionary<string, string> Secrets { get; } = new();

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>Status code to answer with (200 unless a test wants failures).</summary>
    public int AnswerWith { get; set; } = 200;

    /// <summary>Paths answered with another status than <see cref="AnswerWith"/>.</summary>
    public ConcurrentDictionary<string, int> FailPaths { get; } = new();

    /// <summary>How long to wait before answering (a slow receiver: deliveries stay in flight).</summary>
    public TimeSpan AnswerAfter { get; set; } = TimeSpan.Zero;

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(async context =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();
            var path = context.Request.Path.Value ?? "/";
            var headers = context.Request.Headers;
            var valid = Secrets.TryGetValue(path, out var secret) && Verify(secret, headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"], body);
            Requests.Enqueue(new Received(
                path,
                headers["webhook-id"].ToString(),
                headers["webhook-timestamp"].ToString(),
                headers["webhook-signature"].ToString(),
                headers["traceparent"].ToString(),
                Encoding.UTF8.GetString(body),
                valid,
                DateTimeOffset.UtcNow));
            if (AnswerAfter > TimeSpan.Zero)
            {
                await Task.Delay(AnswerAfter, CancellationToken.None);
            }

            context.Response.StatusCode = FailPaths.TryGetValue(path, out var status) ? status : AnswerWith;
        });
        await app.StartAsync();
        _app = app;
    }

    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>The events received (by webhook-id), each with its parsed payload.</summary>
    public IReadOnlyList<Received> Events(string? path = null) => [.. Requests.Where(r => path is null || r.Path == path)];

    /// <summary>Waits until <paramref name="done"/> holds over what was received; fails with what was seen after the timeout.</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<Received>, bool> done, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!done(Events()))
        {
            if (cts.IsCancellationRequested)
            {
                Assert.Fail($"The receiver did not see {what} within {timeout}; it saw: " +
                    string.Join("; ", Events().Select(e => $"{e.Type} {e.ImageId} ({e.Path})")));
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    /// <summary>The specification's verification, written from the text (standardwebhooks.com), independent of the service.</summary>
    public static bool Verify(string secret, string? id, string? timestamp, string? signatures, byte[] body)
    {
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signatures) || !secret.StartsWith("whsec_", StringComparison.Ordinal))
        {
            return false;
        }

        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed, prefix.Length);
        using var hmac = new HMACSHA256(key);
        var expected = hmac.ComputeHash(signed);
        foreach (var candidate in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = candidate.Split(',', 2);
            if (parts.Length == 2 && parts[0] == "v1")
            {
                byte[] given;
                try
                {
                    given = Convert.FromBase64String(parts[1]);
                }
                catch (FormatException)
                {
                    continue;
                }

                if (CryptographicOperations.FixedTimeEquals(given, expected))
                {
                    return true;
                }
            }
        }

        return false;
    }

    public sealed record Received(string Path, string Id, string Timestamp, string Signature, string TraceParent, string Body, bool SignatureValid, DateTimeOffset At)
    {
        private JsonElement Json => JsonDocument.Parse(Body).RootElement;

        public string Type => Json.GetProperty("type").GetString()!;

        public string ImageId => Json.GetProperty("data").GetProperty("id").GetString()!;

        public JsonElement Data => Json.GetProperty("data").Clone();

        public DateTimeOffset EventTimestamp => Json.GetProperty("timestamp").GetDateTimeOffset();
    }
}

/// <summary>An in-process Api with a webhook receiver on loopback, started before it and stopped after it.</summary>
public abstract class ReceiverApiFixture : ApiFixture
{
    public WebhookReceiver Receiver { get; } = new();

    public override async Task InitializeAsync()
    {
        await Receiver.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}
