using System.Collections.Concurrent;
using System.Diagnostics;
using Images.Tests.Support;

namespace Images.Tests.Api;

public sealed class PollingFixture : ApiFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        // The outbox relay polls every second (its broker is not there, which changes nothing here).
        ["IMG_BROKER_ENABLED"] = "true",
        ["IMG_KAFKA_BOOTSTRAP_SERVERS"] = $"127.0.0.1:{Ports.Free()}",
        ["IMG_RECONCILE_INTERVAL_SECONDS"] = "1",
    };
}

/// <summary>
/// NFR-10: the polling of background loops (outbox relay, recovery, reconciliation) starts no root
/// trace per tick, while the database work of a request stays inside the request's trace.
/// </summary>
public class BackgroundTracingTests(PollingFixture api) : IClassFixture<PollingFixture>
{
    [Fact]
    public async Task PollingLoopsStartNoRootTracesAndRequestsKeepTheirDatabaseSpans_NFR10()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        _ = api.Client; // The host and its loops are running.

        // Several ticks of every loop: the relay commits a transaction per poll (every second).
        var commits = await CommitsAsync();
        await KafkaPipelineFixture.WaitUntilAsync(
            async () => await CommitsAsync() >= commits + 4, TimeSpan.FromSeconds(30), async () => $"{await CommitsAsync() - commits} commits");
        var mine = spans.Where(IsThisDatabase).ToList();
        Assert.Empty(mine.Where(s => s.Parent is null && s.ParentId is null).Select(s => s.DisplayName));

        using (var request = new Activity("test-request").Start())
        {
            await api.Client.GetJsonAsync("/api/v1/images/?limit=1");
        }

        await KafkaPipelineFixture.WaitUntilAsync(
            () => Task.FromResult(spans.Any(s => IsThisDatabase(s) && s.ParentId is not null)),
            TimeSpan.FromSeconds(5),
            () => Task.FromResult($"{spans.Count} npgsql spans, none of this database inside a request"));
    }

    private bool IsThisDatabase(Activity span) => span.TagObjects.Any(t => Equals(t.Value, api.DatabaseName));

    /// <summary>Read over a connection to another database, whose spans are not this one's.</summary>
    private async Task<long> CommitsAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(api.Server.ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand($"SELECT xact_commit FROM pg_stat_database WHERE datname = '{api.DatabaseName}'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
