using Images.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Images.Tests.Api;

public sealed class PurgeFixture : ApiFixture
{
    public FakeTimeProvider TestClock { get; } = new(DateTimeOffset.UtcNow);

    protected override TimeProvider? Clock => TestClock;
}

/// <summary>FR-9.4, FR-10.2: the scheduled maintenance removes expired idempotency keys and old finished deliveries, on a clock the test moves.</summary>
public class IdempotencyPurgeTests(PurgeFixture api) : IClassFixture<PurgeFixture>
{
    [Fact]
    public async Task ExpiredKeysAndWeekOldFinishedDeliveriesArePurgedEveryFiveMinutes_FR9_4()
    {
        _ = api.Client; // the host runs
        var now = api.TestClock.GetUtcNow();
        string At(TimeSpan offset) => (now + offset).UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        await api.ExecuteAsync($"""
            INSERT INTO idempotency_keys (scope, key, fingerprint, response_status, response_body, created_at, expires_at) VALUES
              ('public', 'expired', 'f', 201, 'e30=', '{At(TimeSpan.FromHours(-25))}', '{At(TimeSpan.FromHours(-1))}'),
              ('public', 'live', 'f', 201, 'e30=', '{At(TimeSpan.FromHours(-1))}', '{At(TimeSpan.FromHours(23))}');
            INSERT INTO webhook_subscriptions (id, url, events, secret, created_at)
              VALUES ('00000000-0000-0000-0000-000000000001', 'https://example.com/h', ARRAY['image.created'], 'whsec_AAAA', now());
            INSERT INTO webhook_deliveries (subscription_id, event_id, event_type, payload, event_timestamp, status, attempts, last_attempt_at) VALUES
              ('00000000-0000-0000-0000-000000000001', gen_random_uuid(), 'image.created', 'e30=', '{At(TimeSpan.FromDays(-9))}', 'delivered', 1, '{At(TimeSpan.FromDays(-8))}'),
              ('00000000-0000-0000-0000-000000000001', gen_random_uuid(), 'image.created', 'e30=', '{At(TimeSpan.FromDays(-9))}', 'dead', 30, '{At(TimeSpan.FromDays(-8))}'),
              ('00000000-0000-0000-0000-000000000001', gen_random_uuid(), 'image.created', 'e30=', '{At(TimeSpan.FromDays(-2))}', 'delivered', 1, '{At(TimeSpan.FromDays(-2))}');
            """);

        api.TestClock.Advance(TimeSpan.FromMinutes(5));
        await KafkaPipelineFixture.WaitUntilAsync(
            async () => await api.ScalarAsync("SELECT count(*) FROM idempotency_keys WHERE key = 'expired'") == 0,
            TimeSpan.FromSeconds(20),
            async () => $"keys: {await api.ScalarAsync("SELECT count(*) FROM idempotency_keys")}");

        await KafkaPipelineFixture.WaitUntilAsync(
            async () => await api.ScalarAsync("SELECT count(*) FROM webhook_deliveries") == 1,
            TimeSpan.FromSeconds(20),
            async () => $"deliveries: {await api.ScalarAsync("SELECT count(*) FROM webhook_deliveries")}");
        Assert.Equal(1, await api.ScalarAsync("SELECT count(*) FROM idempotency_keys WHERE key = 'live'"));
    }
}
