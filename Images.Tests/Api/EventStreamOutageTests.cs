using System.Net;
using Images.Tests.Support;

namespace Images.Tests.Api;

/// <summary>The Api (in-process processing) on a PostgreSQL server of its own, which the test halts and resumes.</summary>
public sealed class EventStreamOutageFixture : ApiFixture
{
    protected override Task<PostgresServer> StartServerAsync() => PostgresServer.StartDedicatedAsync();

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["IMG_EVENTS_HEARTBEAT_SECONDS"] = "1",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Server.Stop();
    }
}

/// <summary>
/// FR-12.1 with NFR-9's fault: the database goes away while a client follows GET /api/v1/events.
/// The open stream ends (its headers are sent: no status can be), a new GET answers 503 with
/// Retry-After, never 500, and once the database is back a client that resumes with Last-Event-ID
/// gets what happened after its last event.
/// </summary>
public class EventStreamOutageTests(EventStreamOutageFixture api) : IClassFixture<EventStreamOutageFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly HttpClient _client = api.Client;

    [Fact]
    public async Task AStreamEndsWhenTheDatabaseGoesAndResumesAfterItsReturn_FR12_1_NFR9()
    {
        var before = (await _client.UploadAsync(TestImages.Png(30, 20, seed: 1651), "image/png")).GetProperty("id").GetString()!;
        await _client.WaitForStatusAsync(before, Wait, "completed");
        string last;
        await using (var stream = await EventStreamReader.OpenAsync(_client))
        {
            var after = (await _client.UploadAsync(TestImages.Png(31, 21, seed: 1652), "image/png")).GetProperty("id").GetString()!;
            last = (await stream.ReadUntilAsync(e => e.Type == "image.completed" && e.ImageId == after, Wait))[^1].Id!;

            api.Server.Halt();
            try
            {
                // The stream ends within its next look at the log (a heartbeat: 1 s here).
                var ended = await stream.EndsWithinAsync(TimeSpan.FromSeconds(20));
                Assert.True(ended, "the stream stayed open with the database away");

                using var refused = await _client.GetAsync("/api/v1/events");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.NotNull(refused.Headers.RetryAfter);
            }
            finally
            {
                await api.Server.ResumeAsync();
            }
        }

        Assert.DoesNotContain(api.Logs.Exceptions, e => e.Message.StartsWith("Unhandled", StringComparison.Ordinal));
        // The stream was ended by the endpoint (said once, as a warning), not torn down by an escaping exception.
        Assert.Contains(api.Logs.Messages, m => m.Level == Microsoft.Extensions.Logging.LogLevel.Warning && m.Message.StartsWith("Event stream ended: the database is not available", StringComparison.Ordinal));
        var third = await UploadOnceTheDatabaseIsBackAsync(TestImages.Png(32, 22, seed: 1653));
        await using var resumed = await EventStreamReader.OpenAsync(_client, lastEventId: last);
        var replayed = await resumed.ReadUntilAsync(e => e.Type == "image.completed" && e.ImageId == third, Wait);
        Assert.All(replayed, e => Assert.True(long.Parse(e.Id!) > long.Parse(last)));
        Assert.Equal(["image.created", "image.completed"], replayed.Where(e => e.ImageId == third).Select(e => e.Type));
    }

    /// <summary>The upload, sent again while the Api answers 503 (its pool's connections are renewed after the restart).</summary>
    private async Task<string> UploadOnceTheDatabaseIsBackAsync(byte[] png)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            using var response = await _client.SendAsync(Upload(png));
            if (response.StatusCode == HttpStatusCode.Created)
            {
                return response.Headers.Location!.ToString().Split('/')[^1];
            }

            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline,
                $"upload answered {(int)response.StatusCode}; the Api logged: {string.Join("\n", api.Logs.Exceptions.TakeLast(3).Select(e => e.Exception.ToString()[..Math.Min(600, e.Exception.ToString().Length)]))}");
            await Task.Delay(500);
        }
    }

    private static HttpRequestMessage Upload(byte[] png) =>
        new(HttpMethod.Post, "/api/v1/images") { Content = ApiClientExtensions.UploadForm(png, "image/png", "after-outage.png") };
}
