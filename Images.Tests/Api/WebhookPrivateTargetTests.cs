using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Images.Application.Webhooks;
using Images.Tests.Support;

namespace Images.Tests.Api;

/// <summary>The Api with its default: private targets refused (FR-10.3).</summary>
public sealed class PrivateTargetFixture : ReceiverApiFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["IMG_WEBHOOK_RETRY_BASE_MS"] = "200",
        ["IMG_WEBHOOK_RETRY_MAX_DELAY_MS"] = "1000",
        ["IMG_WEBHOOK_POLL_INTERVAL_MS"] = "100",
    };
}

/// <summary>FR-10.3 through the real pipeline: private targets refused when subscribed and again when connecting.</summary>
public class WebhookPrivateTargetTests(PrivateTargetFixture api) : IClassFixture<PrivateTargetFixture>
{
    [Theory]
    [InlineData("http://127.0.0.1:8080/hook", "loopback")]
    [InlineData("http://10.0.0.5/hook", "private")]
    [InlineData("http://192.168.0.10/hook", "private")]
    [InlineData("http://169.254.169.254/latest/meta-data", "link-local")]
    [InlineData("http://100.64.1.1/hook", "carrier-grade NAT")]
    [InlineData("http://[::1]:8080/hook", "loopback")]
    [InlineData("http://[fd00::1]/hook", "unique-local")]
    [InlineData("http://[::ffff:10.0.0.1]/hook", "private")]
    [InlineData("http://localhost:8080/hook", "loopback")]
    [InlineData("http://0.0.0.0/hook", "unspecified")]
    public async Task APrivateTargetIsRefusedWith422WhenSubscribed_FR10_3(string url, string kind)
    {
        using var response = await api.Client.PostAsJsonAsync("/api/v1/webhooks", new { url, events = new[] { "image.created" } });
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var message = problem.GetProperty("errors").GetProperty("url")[0].GetString();
        Assert.Contains(kind, message, StringComparison.Ordinal);
        Assert.Contains("IMG_WEBHOOK_ALLOW_PRIVATE_TARGETS", message, StringComparison.Ordinal);
        Assert.Equal(0, await api.ScalarAsync("SELECT count(*) FROM webhook_subscriptions"));
    }

    [Fact]
    public async Task AnAddressThatTurnedPrivateAfterSubscribingIsRefusedAtConnectTime_FR10_3()
    {
        // As if "hooks.example.com" resolved to a public address when subscribed and to 127.0.0.1
        // now (DNS rebinding): the row is written as the use case would have, then an event comes.
        var id = Guid.NewGuid();
        var secret = WebhookSignature.NewSecret();
        foreach (var host in new[] { "127.0.0.1", "localhost" })
        {
            await api.ExecuteAsync($"""
                INSERT INTO webhook_subscriptions (id, url, events, secret, created_at)
                VALUES ('{(host == "localhost" ? Guid.NewGuid() : id)}', 'http://{host}:{api.Receiver.Port}/rebound', ARRAY['image.created'], '{secret}', now())
                """);
        }

        var image = await api.Client.UploadAsync(TestImages.Png(40, 30, seed: 720), "image/png");

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var items = (await api.Client.GetJsonAsync($"/api/v1/webhooks/{id}/deliveries")).GetProperty("items").EnumerateArray().ToList();
            if (items.Count == 1 && items[0].GetProperty("attempts").GetInt32() >= 2)
            {
                Assert.Equal("pending", items[0].GetProperty("status").GetString());
                Assert.Contains("Refused", items[0].GetProperty("last_error").GetString(), StringComparison.Ordinal);
                Assert.Contains("loopback", items[0].GetProperty("last_error").GetString(), StringComparison.Ordinal);
                break;
            }

            Assert.False(cts.IsCancellationRequested, "no refused attempt was recorded");
            await Task.Delay(100, CancellationToken.None);
        }

        Assert.Equal(2, await api.ScalarAsync($"SELECT count(*) FROM webhook_deliveries WHERE last_error LIKE 'Refused%' AND payload LIKE '%{image.GetProperty("id").GetString()}%'"));
        Assert.Empty(api.Receiver.Requests);
    }
}
