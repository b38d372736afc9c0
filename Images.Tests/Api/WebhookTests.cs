using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Images.Tests.Support;

namespace Images.Tests.Api;

/// <summary>The Api with private targets allowed (the receiver listens on loopback) and fast retries.</summary>
public sealed class WebhookFixture : ReceiverApiFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["IMG_WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "true",
        ["IMG_WEBHOOK_RETRY_BASE_MS"] = "200",
        ["IMG_WEBHOOK_RETRY_MAX_DELAY_MS"] = "2000",
        ["IMG_WEBHOOK_POLL_INTERVAL_MS"] = "100",
        ["IMG_WEBHOOK_TIMEOUT_SECONDS"] = "2",
    };

    /// <summary>Subscribes a receiver path to some events; the receiver learns the secret.</summary>
    public async Task<JsonElement> SubscribeAsync(string path, params string[] events)
    {
        using var response = await Client.PostAsJsonAsync("/api/v1/webhooks", new { url = Receiver.Url(path), events });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"subscribe answered {(int)response.StatusCode}: {body}");
        var created = JsonDocument.Parse(body).RootElement.Clone();
        Receiver.Secrets[path] = created.GetProperty("secret").GetString()!;
        return created;
    }
}

/// <summary>
/// FR-10 through the real HTTP pipeline, real PostgreSQL and a real receiver (Kestrel on loopback)
/// that checks every signature with its own implementation of Standard Webhooks.
/// </summary>
public class WebhookTests(WebhookFixture api) : IClassFixture<WebhookFixture>
{
    private static readonly string[] AllEvents = ["image.created", "image.completed", "image.failed", "image.deleted"];
    private readonly HttpClient _client = api.Client;
    private readonly WebhookReceiver _receiver = api.Receiver;

    private static string Id(JsonElement e) => e.GetProperty("id").GetString()!;

    /// <summary>Bytes that pass the magic-byte check and then fail to decode (FR-2.6): an image.failed.</summary>
    private static byte[] Undecodable(int seed) => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. System.Security.Cryptography.RandomNumberGenerator.GetBytes(200 + seed)];

    [Fact]
    public async Task EveryStateChangeArrivesSignedWithTheImageResource_FR10_1_FR10_2()
    {
        var subscription = await api.SubscribeAsync("/all", AllEvents);
        var good = await _client.UploadAsync(TestImages.Jpeg(120, 80, seed: 701), "image/jpeg", ("ttl_hours", "1"));
        var bad = await _client.UploadAsync(Undecodable(1), "image/png");
        await _client.WaitForStatusAsync(Id(good), TimeSpan.FromSeconds(30), "completed");
        await _client.WaitForStatusAsync(Id(bad), TimeSpan.FromSeconds(30), "failed");
        await api.ExecuteAsync($"UPDATE images SET expires_at = now() - interval '1 second' WHERE id = '{Id(good)}'");
        Assert.Equal(1, (await _client.PostJsonAsync("/api/v1/retention/sweep")).GetProperty("deleted_count").GetInt32());

        await _receiver.WaitUntilAsync(
            seen => Has(seen, "image.created", Id(good)) && Has(seen, "image.completed", Id(good)) && Has(seen, "image.deleted", Id(good)) &&
                    Has(seen, "image.created", Id(bad)) && Has(seen, "image.failed", Id(bad)),
            TimeSpan.FromSeconds(30),
            "created, completed and deleted of one image and created and failed of another");

        var events = _receiver.Events("/all");
        Assert.All(events, e => Assert.True(e.SignatureValid, $"bad signature on {e.Type} {e.Id}"));
        Assert.All(events, e => Assert.StartsWith("msg_", e.Id, StringComparison.Ordinal));
        Assert.All(events, e => Assert.InRange(long.Parse(e.Timestamp, System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.UtcNow.AddMinutes(-2).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1));
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count()); // one id per event here (no retries)
        var completed = events.Single(e => e.Type == "image.completed" && e.ImageId == Id(good));
        Assert.Equal("completed", completed.Data.GetProperty("status").GetString());
        Assert.Equal(120, completed.Data.GetProperty("width").GetInt32());
        Assert.True(completed.Data.GetProperty("thumbnail_available").GetBoolean());
        var created = events.Single(e => e.Type == "image.created" && e.ImageId == Id(good));
        Assert.Equal(good.GetProperty("content_hash").GetString(), created.Data.GetProperty("content_hash").GetString());
        Assert.Equal("pending", created.Data.GetProperty("status").GetString());
        var failed = events.Single(e => e.Type == "image.failed" && e.ImageId == Id(bad));
        Assert.False(string.IsNullOrEmpty(failed.Data.GetProperty("error").GetString()));
        Assert.Equal("completed", events.Single(e => e.Type == "image.deleted").Data.GetProperty("status").GetString());
        Assert.All(events, e => Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", e.TraceParent));
        Assert.True(completed.EventTimestamp >= created.EventTimestamp);

        // FR-10.2's deliveries endpoint: each delivered once, with the answer recorded.
        var items = await DeliveriesWhenSettledAsync(Id(subscription), 5);
        Assert.Equal(5, items.Count);
        Assert.All(items, d =>
        {
            Assert.Equal("delivered", d.GetProperty("status").GetString());
            Assert.Equal(1, d.GetProperty("attempts").GetInt32());
            Assert.Equal(200, d.GetProperty("last_status_code").GetInt32());
            Assert.Equal(JsonValueKind.Null, d.GetProperty("next_attempt_at").ValueKind);
            Assert.Equal(JsonValueKind.Null, d.GetProperty("last_error").ValueKind);
            Assert.Contains(d.GetProperty("type").GetString(), AllEvents);
            Assert.Contains(events, e => e.Id == "msg_" + d.GetProperty("event_id").GetGuid().ToString("N"));
        });
    }

    [Fact]
    public async Task ASubscriptionGetsOnlyTheTypesItAskedFor_FR10_1()
    {
        await api.SubscribeAsync("/completed-only", "image.completed");
        var image = await _client.UploadAsync(TestImages.Png(40, 30, seed: 702), "image/png");
        await _receiver.WaitUntilAsync(seen => seen.Any(e => e.Path == "/completed-only" && e.ImageId == Id(image)), TimeSpan.FromSeconds(30), "the completed event");
        await Task.Delay(500);

        var mine = _receiver.Events("/completed-only").Where(e => e.ImageId == Id(image)).ToList();
        Assert.All(mine, e => Assert.Equal("image.completed", e.Type));
        Assert.All(mine, e => Assert.True(e.SignatureValid));
    }

    [Fact]
    public async Task SubscriptionsCanBeListedReadRotatedAndDeletedAndNeverShowTheirSecretAgain_FR10_1()
    {
        var created = await api.SubscribeAsync("/crud", "image.created", "image.deleted");
        var id = Id(created);
        Assert.StartsWith("whsec_", created.GetProperty("secret").GetString(), StringComparison.Ordinal);
        Assert.Equal(["image.created", "image.deleted"], created.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(_receiver.Url("/crud"), created.GetProperty("url").GetString());

        var listed = (await _client.GetJsonAsync("/api/v1/webhooks")).GetProperty("items").EnumerateArray().Single(s => Id(s) == id);
        Assert.False(listed.TryGetProperty("secret", out _));
        var read = await _client.GetJsonAsync($"/api/v1/webhooks/{id}");
        Assert.False(read.TryGetProperty("secret", out _));
        Assert.Equal(created.GetProperty("created_at").GetDateTimeOffset(), read.GetProperty("created_at").GetDateTimeOffset());

        // A rotated secret signs from then on.
        var rotated = await _client.PostJsonAsync($"/api/v1/webhooks/{id}/secret");
        var secret = rotated.GetProperty("secret").GetString()!;
        Assert.NotEqual(created.GetProperty("secret").GetString(), secret);
        _receiver.Secrets["/crud"] = secret;
        var image = await _client.UploadAsync(TestImages.Png(40, 30, seed: 703), "image/png");
        await _receiver.WaitUntilAsync(seen => seen.Any(e => e.Path == "/crud" && e.ImageId == Id(image)), TimeSpan.FromSeconds(30), "the created event");
        Assert.True(_receiver.Events("/crud").Single(e => e.ImageId == Id(image)).SignatureValid);

        using (var deleted = await _client.DeleteAsync($"/api/v1/webhooks/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        foreach (var path in new[] { $"/api/v1/webhooks/{id}", $"/api/v1/webhooks/{id}/deliveries" })
        {
            using var gone = await _client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        using var again = await _client.DeleteAsync($"/api/v1/webhooks/{id}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Theory]
    [InlineData("""{"url": "ftp://example.com/x", "events": ["image.created"]}""", "url")]
    [InlineData("""{"url": "not a url", "events": ["image.created"]}""", "url")]
    [InlineData("""{"url": "http://user:pw@example.com/x", "events": ["image.created"]}""", "url")]
    [InlineData("""{"url": "http://127.0.0.1:1/a\u0000b", "events": ["image.created"]}""", "url")]
    [InlineData("""{"events": ["image.created"]}""", "url")]
    [InlineData("""{"url": "http://127.0.0.1:1/x", "events": []}""", "events")]
    [InlineData("""{"url": "http://127.0.0.1:1/x"}""", "events")]
    [InlineData("""{"url": "http://127.0.0.1:1/x", "events": ["image.created", "image.exploded"]}""", "events")]
    public async Task MalformedSubscriptionsAre422NamingTheField_FR10_1(string body, string field)
    {
        using var response = await _client.PostAsync("/api/v1/webhooks", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task MalformedAndUnknownIdsAre422And404()
    {
        using var malformed = await _client.GetAsync("/api/v1/webhooks/not-a-uuid/deliveries");
        using var unknown = await _client.GetAsync($"/api/v1/webhooks/{Guid.NewGuid()}");
        using var badLimit = await _client.GetAsync($"/api/v1/webhooks/{Guid.NewGuid()}/deliveries?limit=0");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badLimit.StatusCode);
    }

    [Fact]
    public async Task NothingIsLostAcrossA30SecondReceiverOutageOnTheSamePort_FR10_2()
    {
        var subscription = await api.SubscribeAsync("/outage", "image.created", "image.completed");
        await _receiver.StopAsync();
        var outageStarted = DateTimeOffset.UtcNow;
        var ids = new List<string>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                ids.Add(Id(await _client.UploadAsync(TestImages.Png(40, 30, seed: 710 + i), "image/png")));
            }

            // While the receiver is down the deliveries fail, are retried, and say why.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (true)
            {
                var items = (await _client.GetJsonAsync($"/api/v1/webhooks/{Id(subscription)}/deliveries")).GetProperty("items").EnumerateArray().ToList();
                if (items.Count == 6 && items.All(d => d.GetProperty("attempts").GetInt32() >= 2))
                {
                    Assert.All(items, d =>
                    {
                        Assert.Equal("pending", d.GetProperty("status").GetString());
                        Assert.Equal(JsonValueKind.Null, d.GetProperty("last_status_code").ValueKind);
                        Assert.False(string.IsNullOrEmpty(d.GetProperty("last_error").GetString()));
                        Assert.True(d.GetProperty("next_attempt_at").GetDateTimeOffset() > d.GetProperty("last_attempt_at").GetDateTimeOffset());
                    });
                    break;
                }

                Assert.False(cts.IsCancellationRequested, $"the deliveries were not retried: {string.Join(", ", items)}");
                await Task.Delay(200, CancellationToken.None);
            }

            var rest = TimeSpan.FromSeconds(30) - (DateTimeOffset.UtcNow - outageStarted);
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest);
            }
        }
        finally
        {
            await _receiver.StartAsync();
        }

        await _receiver.WaitUntilAsync(
            seen => ids.All(id => Has(seen, "image.created", id) && Has(seen, "image.completed", id)),
            TimeSpan.FromSeconds(30),
            "every event of the three uploads after the outage");
        var mine = _receiver.Events("/outage");
        Assert.All(mine, e => Assert.True(e.SignatureValid));
        Assert.All(mine, e => Assert.True(e.At >= outageStarted.AddSeconds(30)));

        // The receiver answers before the dispatcher records the answer: wait for the records.
        var deliveries = await DeliveriesWhenSettledAsync(Id(subscription), 6);
        Assert.All(deliveries, d =>
        {
            Assert.Equal("delivered", d.GetProperty("status").GetString());
            Assert.True(d.GetProperty("attempts").GetInt32() >= 3);
            Assert.Equal(200, d.GetProperty("last_status_code").GetInt32());
        });
    }

    private async Task<List<JsonElement>> DeliveriesWhenSettledAsync(string subscriptionId, int count)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (true)
        {
            var items = (await _client.GetJsonAsync($"/api/v1/webhooks/{subscriptionId}/deliveries")).GetProperty("items").EnumerateArray().ToList();
            if ((items.Count == count && items.All(d => d.GetProperty("status").GetString() != "pending")) || cts.IsCancellationRequested)
            {
                return items;
            }

            await Task.Delay(100, CancellationToken.None);
        }
    }

    private static bool Has(IReadOnlyList<WebhookReceiver.Received> seen, string type, string imageId) =>
        seen.Any(e => e.Type == type && e.ImageId == imageId);
}

/// <summary>
/// FR-10, FR-5.3: the webhook metrics on the Api's /metrics. Alone (no other host in the process):
/// every Api host registers the same instruments, and OpenTelemetry's listener sees all of them in
/// one process, so with hosts of other test classes alive this host's series could be another's.
/// </summary>
[Collection(MetricsCollection.Name)]
public class WebhookMetricsTests(WebhookFixture api) : IClassFixture<WebhookFixture>
{
    private readonly HttpClient _client = api.Client;
    private readonly WebhookReceiver _receiver = api.Receiver;

    private static string Id(JsonElement e) => e.GetProperty("id").GetString()!;

    [Fact]
    public async Task DeliveriesFailuresAndLagAreExposedAsMetrics_FR10_FR5_3()
    {
        await api.SubscribeAsync("/metrics-ok", "image.created");
        using (var failing = await _client.PostAsJsonAsync("/api/v1/webhooks", new { url = _receiver.Url("/metrics-failing"), events = new[] { "image.created" } }))
        {
            Assert.Equal(HttpStatusCode.Created, failing.StatusCode);
        }

        // No secret known for /metrics-failing: the receiver still answers 200, so make it fail by path.
        _receiver.FailPaths["/metrics-failing"] = 503;
        var image = await _client.UploadAsync(TestImages.Png(40, 30, seed: 730), "image/png");
        await _receiver.WaitUntilAsync(seen => seen.Count(e => e.ImageId == Id(image)) >= 3, TimeSpan.FromSeconds(30), "the delivery and two failed attempts");

        // The receiver sees a request before the dispatcher counts its outcome, and scrapes are cached briefly: poll.
        var text = string.Empty;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (!cts.IsCancellationRequested)
        {
            text = await _client.GetStringAsync("/metrics");
            if (PrometheusText.Sum(text, "webhook_delivery_attempts_total", ("outcome", "delivered")) >= 1 &&
                PrometheusText.Sum(text, "webhook_delivery_attempts_total", ("outcome", "failed")) >= 2 &&
                PrometheusText.Sum(text, "webhook_delivery_lag_seconds") > 0)
            {
                break;
            }

            await Task.Delay(200, CancellationToken.None);
        }

        Assert.True(PrometheusText.Sum(text, "webhook_delivery_attempts_total", ("outcome", "delivered")) >= 1, text);
        Assert.True(PrometheusText.Sum(text, "webhook_delivery_attempts_total", ("outcome", "failed")) >= 2, text);
        Assert.Contains("webhook_deliveries_dead_total", text, StringComparison.Ordinal);
        Assert.Contains("webhook_delivery_lag_seconds", text, StringComparison.Ordinal);
        Assert.True(PrometheusText.Sum(text, "webhook_delivery_lag_seconds") > 0, "a failing delivery is pending: the lag is above 0");
    }
}
