using System.Net;
using Images.Tests.Support;

namespace Images.Tests.Api;

/// <summary>A heartbeat every second, so that the test of it is short.</summary>
public sealed class EventStreamFixture : ApiFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["IMG_EVENTS_HEARTBEAT_SECONDS"] = "1",
    };
}

/// <summary>
/// FR-12.1: GET /api/v1/events through the real HTTP pipeline and PostgreSQL: the webhooks' event
/// types and payloads, in commit order, resumable with Last-Event-ID, seen by every replica.
/// </summary>
public class EventStreamTests(EventStreamFixture api) : IClassFixture<EventStreamFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly HttpClient _client = api.Client;

    private static string Id(System.Text.Json.JsonElement e) => e.GetProperty("id").GetString()!;

    [Fact]
    public async Task AClientSeesCreatedThenCompletedForAnUploadWithTheWebhookPayload_FR12_1()
    {
        await using var stream = await EventStreamReader.OpenAsync(_client);
        var id = Id(await _client.UploadAsync(TestImages.Png(64, 48, seed: 1611), "image/png", ("tags", "live")));

        var seen = (await stream.ReadUntilAsync(e => e.Type == "image.completed" && e.ImageId == id, Wait)).Where(e => e.ImageId == id).ToList();

        Assert.Equal(["image.created", "image.completed"], seen.Select(e => e.Type));
        var created = seen[0].Json;
        Assert.Equal("image.created", created.GetProperty("type").GetString());
        Assert.True(created.TryGetProperty("timestamp", out _));
        Assert.Equal("pending", created.GetProperty("data").GetProperty("status").GetString());
        Assert.Equal("live", created.GetProperty("data").GetProperty("tags")[0].GetString());
        var completed = seen[1].Json.GetProperty("data");
        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.Equal(64, completed.GetProperty("width").GetInt32());
        Assert.True(long.Parse(seen[1].Id!) > long.Parse(seen[0].Id!));
    }

    [Fact]
    public async Task AClientThatResumesWithLastEventIdMissesNothingAndGetsNothingTwice_FR12_1()
    {
        string last;
        string first;
        await using (var stream = await EventStreamReader.OpenAsync(_client))
        {
            first = Id(await _client.UploadAsync(TestImages.Png(40, 30, seed: 1612), "image/png"));
            last = (await stream.ReadUntilAsync(e => e.Type == "image.completed" && e.ImageId == first, Wait))[^1].Id!;
        }

        // While disconnected: two uploads complete, one of them is deleted.
        var second = Id(await _client.UploadAsync(TestImages.Png(41, 31, seed: 1613), "image/png"));
        var third = Id(await _client.UploadAsync(TestImages.Png(42, 32, seed: 1614), "image/png"));
        await _client.WaitForStatusAsync(second, Wait, "completed");
        await _client.WaitForStatusAsync(third, Wait, "completed");
        using (var deleted = await _client.DeleteAsync($"/api/v1/images/{third}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await using var resumed = await EventStreamReader.OpenAsync(_client, lastEventId: last);
        var replayed = await resumed.ReadUntilAsync(e => e.Type == "image.deleted" && e.ImageId == third, Wait);

        var ids = replayed.Select(e => long.Parse(e.Id!)).ToList();
        Assert.All(ids, id => Assert.True(id > long.Parse(last)));
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Distinct().Count(), ids.Count);
        Assert.DoesNotContain(replayed, e => e.ImageId == first);
        Assert.Equal(["image.created", "image.completed"], replayed.Where(e => e.ImageId == second).Select(e => e.Type));
        Assert.Equal(["image.created", "image.completed", "image.deleted"], replayed.Where(e => e.ImageId == third).Select(e => e.Type));
    }

    [Fact]
    public async Task AnotherReplicaOfTheApiSeesEveryEventAsItCommits_FR12_1()
    {
        // A second Api process on the same database and storage: its stream is woken by PostgreSQL's NOTIFY.
        await using var replica = new ApiFactory(api, new Dictionary<string, string?> { ["IMG_STORAGE_BASE_DIR"] = api.Factory.StorageDirectory });
        using var replicaClient = replica.CreateClient();
        await using var stream = await EventStreamReader.OpenAsync(replicaClient);
        var started = DateTime.UtcNow;

        var id = Id(await _client.UploadAsync(TestImages.Png(44, 33, seed: 1615), "image/png"));
        var seen = (await stream.ReadUntilAsync(e => e.Type == "image.completed" && e.ImageId == id, Wait)).Where(e => e.ImageId == id);

        Assert.Equal(["image.created", "image.completed"], seen.Select(e => e.Type));
        // Woken by the notification, not found by the streams' fallback poll (every 5 s).
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(4.5), $"took {DateTime.UtcNow - started}");
    }

    [Fact]
    public async Task AClientThatReconnectsBeforeAnyEventResumesFromTheStreamsStart_FR12_1()
    {
        string start;
        await using (var stream = await EventStreamReader.OpenAsync(_client))
        {
            start = (await stream.ReadOpeningAsync(Wait))!;
        }

        Assert.True(long.TryParse(start, out _), $"opening id '{start}'");
        // Committed while the client was away, before it had seen a single event.
        var id = Id(await _client.UploadAsync(TestImages.Png(43, 33, seed: 1615), "image/png"));
        await _client.WaitForStatusAsync(id, Wait, "completed");

        await using var resumed = await EventStreamReader.OpenAsync(_client, lastEventId: start);
        var replayed = await resumed.ReadUntilAsync(e => e.Type == "image.completed" && e.ImageId == id, Wait);
        Assert.Equal(["image.created", "image.completed"], replayed.Where(e => e.ImageId == id).Select(e => e.Type));
    }

    [Fact]
    public async Task AQuietStreamSendsHeartbeatComments_FR12_1()
    {
        await using var stream = await EventStreamReader.OpenAsync(_client);
        await stream.WaitForCommentAsync("keep-alive", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ALastEventIdBeyondTheLogGetsAResetAndAMalformedOne422_FR12_1()
    {
        await using (var stream = await EventStreamReader.OpenAsync(_client, lastEventId: "999999999999"))
        {
            var reset = await stream.NextAsync(Wait);
            Assert.Equal("reset", reset.Type);
            Assert.True(reset.Json.TryGetProperty("reason", out _));
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events");
        request.Headers.Add("Last-Event-ID", "yesterday");
        using var malformed = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, malformed.StatusCode);
    }
}
