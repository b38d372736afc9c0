using System.Globalization;
using System.Net;
using Images.Tests.Support;

namespace Images.Tests.Api;

public sealed class RateLimitedFixture : ApiFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["IMG_RATE_LIMIT_UPLOAD_MAX"] = "2",
        ["IMG_RATE_LIMIT_UPLOAD_WINDOW"] = "3600",
        ["IMG_RATE_LIMIT_PROCESS_MAX"] = "2",
        ["IMG_RATE_LIMIT_PROCESS_WINDOW"] = "3600",
        ["IMG_RATE_LIMIT_READ_MAX"] = "3",
        ["IMG_RATE_LIMIT_READ_WINDOW"] = "3600",
    };
}

/// <summary>
/// FR-7.2: per-client-IP limits for uploads (2 per hour here), process calls (2) and reads (3),
/// each family its own bucket, each client address its own. Every test speaks from addresses of
/// its own (<see cref="PeerAddress"/>), so the tests do not share buckets.
/// </summary>
public class RateLimitTests(RateLimitedFixture api) : IClassFixture<RateLimitedFixture>
{
    private readonly HttpClient _client = PeerAddress.Client(api.Factory);

    public enum Family
    {
        Upload,
        Process,
        Read,
    }

    [Fact]
    public async Task TheThirdProcessCallAndTheFourthReadAre429WithRetryAfter_FR7_2()
    {
        const string peer = "198.51.100.10";
        Assert.Equal([404, 404, 429], await CallAsync(peer, Family.Process, 3));
        Assert.Equal([200, 200, 200, 429], await CallAsync(peer, Family.Read, 4));
    }

    [Fact]
    public async Task UploadsReadsAndProcessCallsHaveSeparateBuckets_FR7_2()
    {
        const string peer = "198.51.100.11";
        Assert.Equal([404, 404, 429], await CallAsync(peer, Family.Process, 3));
        // Process calls used up: reads still have all of theirs, then uploads all of theirs.
        Assert.Equal([200, 200, 200, 429], await CallAsync(peer, Family.Read, 4));
        Assert.Equal([201, 201, 429], await CallAsync(peer, Family.Upload, 3));
        // And using up one bucket gave none of the others anything back.
        Assert.Equal([429], await CallAsync(peer, Family.Process, 1));
        Assert.Equal([429], await CallAsync(peer, Family.Read, 1));
    }

    [Fact]
    public async Task TwoClientAddressesHaveSeparateBuckets_FR7_2()
    {
        const string first = "198.51.100.12";
        const string second = "198.51.100.13";
        Assert.Equal([201, 201, 429], await CallAsync(first, Family.Upload, 3));
        Assert.Equal([404, 404, 429], await CallAsync(first, Family.Process, 3));
        Assert.Equal([200, 200, 200, 429], await CallAsync(first, Family.Read, 4));

        Assert.Equal([201, 201], await CallAsync(second, Family.Upload, 2));
        Assert.Equal([404, 404], await CallAsync(second, Family.Process, 2));
        Assert.Equal([200, 200, 200], await CallAsync(second, Family.Read, 3));

        Assert.Equal([429], await CallAsync(first, Family.Read, 1));
        Assert.Equal([429], await CallAsync(second, Family.Read, 1));
    }

    /// <summary>
    /// Makes <paramref name="count"/> calls of one family from <paramref name="peer"/> and returns
    /// their statuses; every 429 must be a problem with a Retry-After within the hour's window.
    /// </summary>
    private async Task<List<int>> CallAsync(string peer, Family family, int count)
    {
        var statuses = new List<int>();
        for (var i = 0; i < count; i++)
        {
            using var request = family switch
            {
                Family.Upload => new HttpRequestMessage(HttpMethod.Post, "/api/v1/images/")
                {
                    Content = ApiClientExtensions.UploadForm(TestImages.Png(16, 16, seed: 72), "image/png"),
                },
                // An unknown id: a 404 from the handler, behind the process limiter.
                Family.Process => new HttpRequestMessage(HttpMethod.Post, $"/api/v1/images/{Guid.NewGuid()}/process"),
                _ => new HttpRequestMessage(HttpMethod.Get, "/api/v1/images/?limit=1"),
            };
            request.Headers.Add(PeerAddress.Header, peer);
            using var response = await _client.SendAsync(request);
            statuses.Add((int)response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var retryAfter = int.Parse(Assert.Single(response.Headers.GetValues("Retry-After")), CultureInfo.InvariantCulture);
                Assert.InRange(retryAfter, 1, 3600);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }

        return statuses;
    }
}
