using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Images.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Images.Tests.Api;

/// <summary>The Api on a clock the test moves, with a receiver that always fails.</summary>
public sealed class RetryWindowFixture : ReceiverApiFixture
{
    public FakeTimeProvider TestClock { get; } = new(DateTimeOffset.UtcNow);

    protected override TimeProvider? Clock => TestClock;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["IMG_WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "true",
        ["IMG_WEBHOOK_RETRY_BASE_MS"] = "1000",
        ["IMG_WEBHOOK_POLL_INTERVAL_MS"] = "100",
    };
}

/// <summary>FR-10.2 through the real Api and PostgreSQL: a delivery that keeps failing is retried, then dead once 24 h have passed (fake clock).</summary>
public class WebhookRetryWindowTests(RetryWindowFixture api) : IClassFixture<RetryWindowFixture>
{
    [Fact]
    public async Task ADeliveryStillFailingAfter24HoursIsMarkedDeadAndNotTriedAgain_FR10_2()
    {
        api.Receiver.AnswerWith = 500;
        using var response = await api.Client.PostAsJsonAsync("/api/v1/webhooks", new { url = api.Receiver.Url("/down"), events = new[] { "image.created" } });
        var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        await api.Client.UploadAsync(TestImages.Png(40, 30, seed: 740), "image/png");

        var first = await WaitForDeliveryAsync(id!, d => d.GetProperty("attempts").GetInt32() == 1 && d.TryGetProperty("last_status_code", out var s) && s.ValueKind == JsonValueKind.Number);
        Assert.Equal("pending", first.GetProperty("status").GetString());
        Assert.Equal(500, first.GetProperty("last_status_code").GetInt32());
        var next = first.GetProperty("next_attempt_at").GetDateTimeOffset();
        Assert.InRange(next - api.TestClock.GetUtcNow(), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(1100));

        // Just short of the window: still retried.
        api.TestClock.Advance(TimeSpan.FromHours(23));
        var retried = await WaitForDeliveryAsync(id!, d => d.GetProperty("attempts").GetInt32() == 2 && d.GetProperty("last_attempt_at").GetDateTimeOffset() >= next);
        Assert.Equal("pending", retried.GetProperty("status").GetString());

        // Past it: the next failure is the last.
        api.TestClock.Advance(TimeSpan.FromHours(1.1));
        var dead = await WaitForDeliveryAsync(id!, d => d.GetProperty("status").GetString() == "dead");
        Assert.Equal(3, dead.GetProperty("attempts").GetInt32());
        Assert.Equal(500, dead.GetProperty("last_status_code").GetInt32());
        Assert.Equal(JsonValueKind.Null, dead.GetProperty("next_attempt_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, dead.GetProperty("delivered_at").ValueKind);

        var seen = api.Receiver.Requests.Count;
        api.TestClock.Advance(TimeSpan.FromHours(5));
        await Task.Delay(1000);
        Assert.Equal(seen, api.Receiver.Requests.Count);
        Assert.Equal(3, seen);
        Assert.True(PrometheusText.Sum(await api.Client.GetStringAsync("/metrics"), "webhook_deliveries_dead_total") >= 1);
    }

    private async Task<JsonElement> WaitForDeliveryAsync(string subscriptionId, Func<JsonElement, bool> done)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        JsonElement last = default;
        while (!cts.IsCancellationRequested)
        {
            var items = (await api.Client.GetJsonAsync($"/api/v1/webhooks/{subscriptionId}/deliveries")).GetProperty("items").EnumerateArray().ToList();
            if (items.Count == 1)
            {
                last = items[0];
                if (done(last))
                {
                    return last;
                }
            }

            await Task.Delay(100, CancellationToken.None);
        }

        Assert.Fail($"the delivery did not get there; last: {last}");
        return last;
    }
}
