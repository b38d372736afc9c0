using System.Net;
using Images.Application.Webhooks;
using Images.Infrastructure.Webhooks;
using Images.Tests.Support;
using Microsoft.Extensions.Options;

namespace Images.Tests.Infrastructure;

/// <summary>FR-10.3: which addresses a webhook may reach, and the sender's check at connect time (DNS rebinding).</summary>
public class WebhookTargetGuardTests
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.1.2.3", "loopback")]
    [InlineData("10.0.0.1", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.1.10", "private")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("100.64.0.1", "carrier-grade NAT")]
    [InlineData("100.127.255.255", "carrier-grade NAT")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("::", "unspecified")]
    [InlineData("::1", "loopback")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fc00::1", "unique-local")]
    [InlineData("fd12:3456::1", "unique-local")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("::ffff:10.1.2.3", "private")]
    [InlineData("::ffff:169.254.169.254", "link-local")]
    [InlineData("::127.0.0.1", "loopback")]
    [InlineData("64:ff9b::a00:1", "private")]
    [InlineData("2002:7f00:1::1", "loopback")]
    public void NonPublicAddressesAreRefusedWithTheirKind_FR10_3(string address, string kind)
    {
        var refusal = TargetAddressPolicy.Classify(IPAddress.Parse(address));
        Assert.NotNull(refusal);
        Assert.Contains(kind, refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("2002:808:808::1")]
    public void PublicAddressesAreAllowed(string address) =>
        Assert.Null(TargetAddressPolicy.Classify(IPAddress.Parse(address)));

    [Theory]
    [InlineData("http://127.0.0.1:9/hook")]
    [InlineData("http://10.1.2.3/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://[::1]:8080/hook")]
    [InlineData("http://[::ffff:127.0.0.1]/hook")]
    [InlineData("http://localhost:8080/hook")]
    public async Task TheSubscriptionCheckRefusesPrivateTargetsIncludingNamesThatResolveToThem_FR10_3(string url)
    {
        var policy = new TargetAddressPolicy(Options.Create(new WebhookOptions()));
        Assert.NotNull(await policy.RefusalAsync(new Uri(url), CancellationToken.None));
        var allowing = new TargetAddressPolicy(Options.Create(new WebhookOptions { AllowPrivateTargets = true }));
        Assert.Null(await allowing.RefusalAsync(new Uri(url), CancellationToken.None));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    [InlineData("[::1]")]
    public async Task TheSenderRefusesAPrivateAddressWhenItConnectsEvenWithAListenerThere_FR10_3(string host)
    {
        // A receiver really listens on loopback: only the guard stands between the sender and it.
        await using var receiver = new WebhookReceiver();
        await receiver.StartAsync();
        using var sender = new HttpWebhookSender(new TargetAddressPolicy(Options.Create(new WebhookOptions())), Options.Create(new WebhookOptions()));

        var result = await sender.SendAsync(new Uri($"http://{host}:{receiver.Port}/hook"), new Dictionary<string, string>(), "{}", CancellationToken.None);

        Assert.Null(result.StatusCode);
        Assert.Contains("Refused", result.Error, StringComparison.Ordinal);
        Assert.Empty(receiver.Requests);
    }

    [Fact]
    public async Task WithPrivateTargetsAllowedTheSenderReachesLoopbackAndFollowsNoRedirect_FR10_3()
    {
        await using var receiver = new WebhookReceiver();
        await receiver.StartAsync();
        receiver.AnswerWith = 307;
        var options = Options.Create(new WebhookOptions { AllowPrivateTargets = true });
        using var sender = new HttpWebhookSender(new TargetAddressPolicy(options), options);

        var result = await sender.SendAsync(new Uri(receiver.Url()), new Dictionary<string, string> { ["webhook-id"] = "msg_1" }, "{}", CancellationToken.None);

        Assert.Equal(307, result.StatusCode);
        Assert.False(result.Succeeded);
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task ATargetThatNeverAnswersTimesOut()
    {
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // accepts connections (backlog) and never answers
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var options = Options.Create(new WebhookOptions { AllowPrivateTargets = true, TimeoutSeconds = 1 });
        using var sender = new HttpWebhookSender(new TargetAddressPolicy(options), options);

        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = await sender.SendAsync(new Uri($"http://127.0.0.1:{port}/hook"), new Dictionary<string, string>(), "{}", CancellationToken.None);

        Assert.Null(result.StatusCode);
        Assert.Contains("No answer within 1 s", result.Error, StringComparison.Ordinal);
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
    }
}
