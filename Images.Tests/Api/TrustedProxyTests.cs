using System.Net;
using Images.Api.Http;
using Images.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace Images.Tests.Api;

public sealed class ProxiedFixture : ApiFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["IMG_TRUSTED_PROXIES"] = "10.0.0.0/8, 192.0.2.1",
        ["IMG_RATE_LIMIT_READ_MAX"] = "2",
        ["IMG_RATE_LIMIT_READ_WINDOW"] = "3600",
    };
}

/// <summary>NFR-9, FR-7.2: per-client limits behind proxies key on the forwarded address from trusted proxies only.</summary>
public class TrustedProxyTests(ProxiedFixture api) : IClassFixture<ProxiedFixture>
{
    private readonly HttpClient _client = PeerAddress.Client(api.Factory);

    [Fact]
    public async Task BehindATrustedProxyEachForwardedClientHasItsOwnBucket_NFR9()
    {
        Assert.Equal([200, 200, 429], await ReadsAsync(peer: "10.1.2.3", forwardedFor: "203.0.113.5", count: 3));
        Assert.Equal([200, 200], await ReadsAsync(peer: "10.9.9.9", forwardedFor: "203.0.113.6", count: 2));
        // Several hops, all trusted: the client is the first address before them.
        Assert.Equal([200, 200, 429], await ReadsAsync(peer: "192.0.2.1", forwardedFor: "203.0.113.7, 10.0.0.5", count: 3));
    }

    [Fact]
    public async Task AnUntrustedPeerCannotChooseItsBucketWithAForgedHeader_NFR9()
    {
        var statuses = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            statuses.AddRange(await ReadsAsync(peer: "198.51.100.7", forwardedFor: $"203.0.113.{100 + i}", count: 1));
        }

        Assert.Equal([200, 200, 429], statuses);
    }

    [Fact]
    public async Task IPv6ClientsShareOneBucketPerSlash64_NFR9()
    {
        Assert.Equal([200, 200], await ReadsAsync(peer: "10.0.0.1", forwardedFor: "2001:db8:1:2::1", count: 2));
        Assert.Equal([429], await ReadsAsync(peer: "10.0.0.1", forwardedFor: "2001:db8:1:2:ffff:ffff:ffff:fff0", count: 1));
        Assert.Equal([200], await ReadsAsync(peer: "10.0.0.1", forwardedFor: "2001:db8:1:3::1", count: 1));
    }

    [Theory]
    [InlineData("2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb::/64")]
    [InlineData("::ffff:198.51.100.9", "198.51.100.9")]
    [InlineData("198.51.100.9", "198.51.100.9")]
    public void PartitionKeysAreAddressesOrSlash64Prefixes(string address, string key)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
        Assert.Equal(key, ClientAddress.PartitionKey(context));
    }

    private async Task<List<int>> ReadsAsync(string peer, string forwardedFor, int count)
    {
        var statuses = new List<int>();
        for (var i = 0; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/images/?limit=1");
            request.Headers.Add(PeerAddress.Header, peer);
            request.Headers.Add("X-Forwarded-For", forwardedFor);
            using var response = await _client.SendAsync(request);
            statuses.Add((int)response.StatusCode);
        }

        return statuses;
    }
}
