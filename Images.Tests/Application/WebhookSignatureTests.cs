using System.Text;
using Images.Application.Webhooks;
using Images.Tests.Support;

namespace Images.Tests.Application;

/// <summary>FR-10.2: signatures as Standard Webhooks specify them.</summary>
public class WebhookSignatureTests
{
    [Fact]
    public void SignatureMatchesTheStandardWebhooksPublishedTestVector_FR10_2()
    {
        // The specification's reference libraries test against this vector (secret, id, timestamp,
        // body, expected signature); reproducing it proves a receiver's library accepts ours.
        var signature = WebhookSignature.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, """{"test": 2432232314}""");

        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact]
    public void TheTestReceiversIndependentVerifierAcceptsTheVectorAndRefusesAnyChange()
    {
        const string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        var body = Encoding.UTF8.GetBytes("""{"test": 2432232314}""");
        Assert.True(WebhookReceiver.Verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body));
        Assert.True(WebhookReceiver.Verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body));
        Assert.False(WebhookReceiver.Verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265331", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body));
        Assert.False(WebhookReceiver.Verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJeK", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body));
        Assert.False(WebhookReceiver.Verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", Encoding.UTF8.GetBytes("""{"test": 2432232315}""")));
        Assert.False(WebhookReceiver.Verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body));
    }

    [Fact]
    public void NewSecretsAreWhsecWith24RandomBytesAndDiffer()
    {
        var a = WebhookSignature.NewSecret();
        var b = WebhookSignature.NewSecret();
        Assert.StartsWith("whsec_", a, StringComparison.Ordinal);
        Assert.Equal(24, Convert.FromBase64String(a["whsec_".Length..]).Length);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void HeadersCarryTheIdTheTimestampAndAV1SignatureThatVerifies()
    {
        var secret = WebhookSignature.NewSecret();
        var id = WebhookSignature.MessageId(Guid.CreateVersion7());
        var headers = WebhookSignature.Headers(secret, id, 1_764_600_000, "{\"a\":1}");

        Assert.Equal(id, headers["webhook-id"]);
        Assert.StartsWith("msg_", id, StringComparison.Ordinal);
        Assert.Equal("1764600000", headers["webhook-timestamp"]);
        Assert.True(WebhookReceiver.Verify(secret, id, "1764600000", headers["webhook-signature"], Encoding.UTF8.GetBytes("{\"a\":1}")));
    }
}
