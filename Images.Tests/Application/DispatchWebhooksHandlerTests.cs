using Images.Application.Abstractions;
using Images.Application.Webhooks;
using Images.Application.Webhooks.Dispatch;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Images.Tests.Application;

/// <summary>FR-10.2: the dispatcher's decisions (retry, backoff, dead) on a fake clock, with fakes of its ports.</summary>
public sealed class DispatchWebhooksHandlerTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeStore _store = new();
    private readonly FakeSender _sender = new();
    private readonly WebhookMetrics _metrics;
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private readonly Microsoft.Extensions.DependencyInjection.ServiceProvider _services;

    public DispatchWebhooksHandlerTests()
    {
        var collection = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        Microsoft.Extensions.DependencyInjection.MetricsServiceExtensions.AddMetrics(collection);
        _services = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(collection);
        _metrics = new WebhookMetrics(Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(_services));
    }

    private DispatchWebhooksHandler Handler(WebhookOptions? options = null) =>
        new(_store, _sender, _metrics, Options.Create(options ?? new WebhookOptions { RetryBaseMilliseconds = 1000, RetryMaxDelayMilliseconds = 60_000, RetryWindowSeconds = 3600 }), _clock, NullLogger<DispatchWebhooksHandler>.Instance);

    [Fact]
    public async Task A2xxAnswerMarksTheDeliveryDeliveredAfterOneSignedAttempt_FR10_2()
    {
        var delivery = _store.Add(_clock.GetUtcNow());
        _sender.Answer = _ => new SendResult(204, null);

        Assert.Equal(1, await Handler().HandleAsync(CancellationToken.None));

        var outcome = Assert.Single(_store.Outcomes);
        Assert.Equal(DeliveryStatus.Delivered, outcome.Outcome.Status);
        Assert.Equal(204, outcome.Outcome.StatusCode);
        var sent = Assert.Single(_sender.Sent);
        Assert.Equal(WebhookSignature.MessageId(delivery.EventId), sent.Headers["webhook-id"]);
        Assert.Equal(_clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), sent.Headers["webhook-timestamp"]);
        Assert.Equal(WebhookSignature.Sign(delivery.Secret, sent.Headers["webhook-id"], _clock.GetUtcNow().ToUnixTimeSeconds(), delivery.Payload), sent.Headers["webhook-signature"]);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(302)]
    [InlineData(404)]
    public async Task AnythingButA2xxIsRetriedLaterWithTheStatusRecorded_FR10_2(int status)
    {
        _store.Add(_clock.GetUtcNow());
        _sender.Answer = _ => new SendResult(status, null);

        await Handler().HandleAsync(CancellationToken.None);

        var outcome = Assert.Single(_store.Outcomes).Outcome;
        Assert.Equal(DeliveryStatus.Pending, outcome.Status);
        Assert.Equal(status, outcome.StatusCode);
        Assert.NotNull(outcome.NextAttemptAt);
        Assert.InRange(outcome.NextAttemptAt!.Value - _clock.GetUtcNow(), TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(1000));
    }

    [Fact]
    public void RetryDelaysDoubleWithJitterUpToTheCap()
    {
        var settings = new WebhookOptions { RetryBaseMilliseconds = 1000, RetryMaxDelayMilliseconds = 10_000 };
        Assert.Equal(TimeSpan.FromMilliseconds(500), DispatchWebhooksHandler.RetryDelay(1, settings, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(1000), DispatchWebhooksHandler.RetryDelay(1, settings, 1));
        Assert.Equal(TimeSpan.FromMilliseconds(2000), DispatchWebhooksHandler.RetryDelay(2, settings, 1));
        Assert.Equal(TimeSpan.FromMilliseconds(4000), DispatchWebhooksHandler.RetryDelay(3, settings, 1));
        Assert.Equal(TimeSpan.FromMilliseconds(3000), DispatchWebhooksHandler.RetryDelay(3, settings, 0.5));
        Assert.Equal(TimeSpan.FromMilliseconds(10_000), DispatchWebhooksHandler.RetryDelay(10, settings, 1));
        Assert.Equal(TimeSpan.FromMilliseconds(10_000), DispatchWebhooksHandler.RetryDelay(1000, settings, 1));
    }

    [Fact]
    public async Task ADeliveryThatKeepsFailingIsDeadOnceTheRetryWindowHasPassedAndNotBefore_FR10_2()
    {
        // The default window is 24 h: a day of failures on a fake clock, attempts as they come due.
        var options = new WebhookOptions { RetryBaseMilliseconds = 5000, RetryMaxDelayMilliseconds = 3_600_000, RetryWindowSeconds = 86_400 };
        var start = _clock.GetUtcNow();
        _store.Add(start);
        _sender.Answer = _ => new SendResult(null, "connection refused");
        var handler = Handler(options);
        var attempts = 0;
        while (true)
        {
            Assert.Equal(1, await handler.HandleAsync(CancellationToken.None));
            attempts++;
            var outcome = _store.Outcomes[^1].Outcome;
            if (outcome.Status == DeliveryStatus.Dead)
            {
                break;
            }

            Assert.Equal(DeliveryStatus.Pending, outcome.Status);
            Assert.True(outcome.NextAttemptAt <= start + TimeSpan.FromHours(24), "no attempt is planned past the window");
            Assert.True(_clock.GetUtcNow() < start + TimeSpan.FromHours(24), "still pending past the window");
            _clock.SetUtcNow(outcome.NextAttemptAt!.Value);
            Assert.True(attempts < 100, "too many attempts");
        }

        Assert.Equal(start + TimeSpan.FromHours(24), _clock.GetUtcNow());
        Assert.Equal("connection refused", _store.Outcomes[^1].Outcome.Error);
        Assert.InRange(attempts, 25, 60); // 5 s doubling to the 1 h cap (~11 attempts, 1-2 h), then every 30-60 min (jitter).
        Assert.Equal(0, await handler.HandleAsync(CancellationToken.None));
    }

    [Fact]
    public async Task LagIsTheAgeOfTheOldestPendingEvent()
    {
        long lag = -1;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == WebhookMetrics.Name && instrument.Name == "webhook_delivery_lag")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, value, _, _) => lag = (long)value);
        _listener.Start();
        _store.Add(_clock.GetUtcNow());
        _sender.Answer = _ => new SendResult(503, null);
        _clock.Advance(TimeSpan.FromSeconds(42));

        await Handler().HandleAsync(CancellationToken.None);
        _listener.RecordObservableInstruments();

        Assert.Equal(42, lag);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _metrics.Dispose();
        _services.Dispose();
    }

    private sealed class FakeStore : IWebhookStore
    {
        private readonly List<(DueDelivery Delivery, string Status, DateTimeOffset Next)> _rows = [];

        public List<(long Id, DeliveryOutcome Outcome)> Outcomes { get; } = [];

        public DueDelivery Add(DateTimeOffset at)
        {
            var delivery = new DueDelivery(_rows.Count + 1, Guid.CreateVersion7(), WebhookEventTypes.Created, new Uri("https://example.test/hook"), WebhookSignature.NewSecret(), "{\"type\":\"image.created\"}", at, 0, null);
            _rows.Add((delivery, DeliveryStatus.Pending, at));
            return delivery;
        }

        public Task<IReadOnlyList<DueDelivery>> ClaimDueAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken cancellationToken)
        {
            var due = _rows.Select((r, i) => (r, i)).Where(x => x.r.Status == DeliveryStatus.Pending && x.r.Next <= now).Take(limit).ToList();
            foreach (var (r, i) in due)
            {
                _rows[i] = (r.Delivery with { Attempts = r.Delivery.Attempts + 1 }, r.Status, leaseUntil);
            }

            return Task.FromResult<IReadOnlyList<DueDelivery>>([.. due.Select(x => _rows[x.i].Delivery)]);
        }

        public Task RecordAttemptAsync(long deliveryId, DeliveryOutcome outcome, CancellationToken cancellationToken)
        {
            Outcomes.Add((deliveryId, outcome));
            var i = _rows.FindIndex(r => r.Delivery.Id == deliveryId);
            _rows[i] = (_rows[i].Delivery, outcome.Status, outcome.NextAttemptAt ?? DateTimeOffset.MaxValue);
            return Task.CompletedTask;
        }

        public Task<DateTimeOffset?> OldestPendingEventAsync(CancellationToken cancellationToken) =>
            Task.FromResult(_rows.Where(r => r.Status == DeliveryStatus.Pending).Select(r => (DateTimeOffset?)r.Delivery.EventTimestamp).Min());

        public Task AddAsync(WebhookSubscription subscription, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<WebhookSubscription>> ListAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<WebhookSubscription?> GetAsync(Guid id, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> RotateSecretAsync(Guid id, string secret, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<WebhookDeliveryView>> ListDeliveriesAsync(Guid subscriptionId, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private sealed class FakeSender : IWebhookSender
    {
        public Func<Uri, SendResult> Answer { get; set; } = _ => new SendResult(200, null);

        public List<(Uri Target, IReadOnlyDictionary<string, string> Headers, string Body)> Sent { get; } = [];

        public Task<SendResult> SendAsync(Uri target, IReadOnlyDictionary<string, string> headers, string body, CancellationToken cancellationToken)
        {
            Sent.Add((target, headers, body));
            return Task.FromResult(Answer(target));
        }
    }
}
