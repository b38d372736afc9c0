using System.Net;
using Images.Application.Retention.Sweep;
using Images.Tests.Support;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit.Abstractions;

namespace Images.Tests.Api;

public sealed class ScheduledSweepFixture : ApiFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["IMG_RETENTION_INTERVAL_SECONDS"] = "1" };
}

/// <summary>FR-4.5: with IMG_RETENTION_INTERVAL_SECONDS set, the Api sweeps on its own; nobody calls the sweep endpoint.</summary>
public class ScheduledSweepTests(ScheduledSweepFixture api) : IClassFixture<ScheduledSweepFixture>
{
    [Fact]
    public async Task AnApiWithARetentionIntervalDeletesExpiredImagesOnItsOwn_FR4_5()
    {
        var expiring = await ExpiringImages.UploadAsync(api.Client, count: 3, seed: 4500);
        var keeper = await ExpiringImages.UploadAsync(api.Client, TestImages.Png(24, 16, seed: 4599), ttlHours: 8760);
        await api.Client.WaitForStatusAsync(keeper, TimeSpan.FromSeconds(30), "completed");
        var thumbnails = Path.Combine(api.Factory.StorageDirectory, "thumbnails");
        Assert.Equal(4, ExpiringImages.Files(thumbnails).Length);

        await api.ExecuteAsync(ExpiringImages.ExpireSql(expiring));

        await SweepLog.WaitUntilSettledAsync(api, 3, api.Logs);

        foreach (var id in expiring)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await api.Client.GetAsync($"/api/v1/images/{id}")).StatusCode);
        }

        Assert.Equal("completed", (await api.Client.GetJsonAsync($"/api/v1/images/{keeper}")).GetProperty("status").GetString());
        Assert.Single(ExpiringImages.Files(thumbnails));
        Assert.Single(api.StoredOriginals());
        // The sweep that did it was a scheduled one: nobody asked for it over HTTP.
        Assert.Equal(3, SweepLog.Deleted(api.Logs));
        Assert.DoesNotContain(api.Logs.Entries, e => e.State.TryGetValue("Path", out var path) && $"{path}".Contains("/retention", StringComparison.Ordinal));
    }
}

/// <summary>
/// FR-4.5: two Api hosts over one database and one store, both sweeping on a one-second schedule,
/// are also asked to sweep at the same moment: every expired image is deleted exactly once, by
/// one of them, with no error on either side, and its thumbnail and unshared original go with it.
/// </summary>
public class ConcurrentSweepTests(DatabaseFixture database, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private const int Expiring = 30;

    [Fact]
    public async Task TwoApiHostsSweepingOneDatabaseAtOnceDeleteEachExpiredImageOnce_FR4_5()
    {
        var store = Path.Combine(Path.GetTempPath(), "images-tests-sweepers-" + Guid.NewGuid().ToString("N")[..12]);
        using var logsA = new CapturingLoggerProvider();
        using var logsB = new CapturingLoggerProvider();
        var hostA = new ApiFactory(database, Settings("sweeper-a", store), logs: logsA);
        var hostB = new ApiFactory(database, Settings("sweeper-b", store), logs: logsB);
        try
        {
            using var clientA = hostA.CreateClient();
            using var clientB = hostB.CreateClient();

            // Distinct images, plus two expiring records that share their bytes with a keeper.
            var shared = TestImages.Png(24, 16, seed: 4700);
            var expiring = await ExpiringImages.UploadAsync(clientA, Expiring, seed: 4600);
            expiring.Add(await ExpiringImages.UploadAsync(clientB, shared, ttlHours: 1));
            expiring.Add(await ExpiringImages.UploadAsync(clientA, shared, ttlHours: 1));
            var keepers = new[]
            {
                await ExpiringImages.UploadAsync(clientB, shared, ttlHours: null),
                await ExpiringImages.UploadAsync(clientA, TestImages.Png(24, 16, seed: 4701), ttlHours: 8760),
            };
            foreach (var id in expiring.Concat(keepers))
            {
                await clientA.WaitForStatusAsync(id, TimeSpan.FromSeconds(30), "completed");
            }

            var deletions = await DeletionLog.InstallAsync(database);

            // The images expire inside a transaction that holds the table: every sweep that starts
            // meanwhile, scheduled or asked for, waits on it; once both hosts have one waiting, the
            // commit lets them all go at the same moment.
            Task<HttpResponseMessage>[] sweeps;
            await using (var gate = new NpgsqlConnection(database.ConnectionString))
            {
                await gate.OpenAsync();
                await using var transaction = await gate.BeginTransactionAsync();
                await using (var hold = new NpgsqlCommand("LOCK TABLE images IN EXCLUSIVE MODE; " + ExpiringImages.ExpireSql(expiring), gate, transaction))
                {
                    await hold.ExecuteNonQueryAsync();
                }

                sweeps = [clientA.PostAsync("/api/v1/retention/sweep", null), clientB.PostAsync("/api/v1/retention/sweep", null)];
                await KafkaPipelineFixture.WaitUntilAsync(
                    async () => await database.ScalarAsync(
                        "SELECT count(DISTINCT application_name) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name IN ('sweeper-a', 'sweeper-b')") == 2,
                    TimeSpan.FromSeconds(20),
                    () => Task.FromResult("both hosts' sweeps were not seen waiting on the table"));
                await transaction.CommitAsync();
            }

            var answered = await Task.WhenAll(sweeps).WaitAsync(TimeSpan.FromSeconds(30));
            var reported = new List<int>();
            foreach (var response in answered)
            {
                using (response)
                {
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                    Assert.Equal(0, body.GetProperty("errors").GetInt32());
                    reported.Add(body.GetProperty("deleted_count").GetInt32());
                }
            }

            // Scheduled sweeps that were let go with the asked-for ones may still be finishing.
            await SweepLog.WaitUntilSettledAsync(database, expiring.Count, logsA, logsB);

            var rows = await deletions.ReadAsync();
            var byHost = rows.GroupBy(r => r.Application).ToDictionary(g => g.Key, g => g.Count());
            output.WriteLine($"the asked-for sweeps reported {string.Join(" and ", reported)}; deletions by host: {string.Join(", ", byHost.Select(h => $"{h.Key}={h.Value}"))} in {rows.Select(r => r.Transaction).Distinct().Count()} transactions");

            // Each expired image deleted once, and counted once across every sweep of both hosts.
            Assert.Equal(expiring.Select(Guid.Parse).Order(), rows.Select(r => r.ImageId).Order());
            Assert.Equal(expiring.Count, SweepLog.Deleted(logsA) + SweepLog.Deleted(logsB));
            Assert.Equal(0, SweepLog.Errors(logsA) + SweepLog.Errors(logsB));
            Assert.Empty(logsA.Exceptions.Concat(logsB.Exceptions).Select(e => $"{e.Category}: {e.Message}: {e.Exception}"));
            Assert.Empty(logsA.Messages.Concat(logsB.Messages).Where(m => m.Level >= LogLevel.Error).Select(m => $"{m.Category}: {m.Message}"));

            // What is left: the keepers' rows, thumbnails and originals (the shared one kept for its keeper).
            Assert.Equal(2, await database.ScalarAsync("SELECT count(*) FROM images"));
            Assert.Equal(keepers.Select(Guid.Parse).Order(), (await database.ScalarTextAsync("SELECT id::text FROM images")).Split('\n').Select(Guid.Parse).Order());
            Assert.Equal(2, ExpiringImages.Files(Path.Combine(store, "thumbnails")).Length);
            Assert.Equal(2, ExpiringImages.Files(Path.Combine(store, "originals")).Length);
            using var original = await clientB.GetAsync($"/api/v1/images/{keepers[0]}/download");
            Assert.Equal(shared, await original.Content.ReadAsByteArrayAsync());
        }
        finally
        {
            await hostA.DisposeAsync();
            await hostB.DisposeAsync();
            if (Directory.Exists(store))
            {
                Directory.Delete(store, recursive: true);
            }
        }
    }

    private Dictionary<string, string?> Settings(string application, string store) => new()
    {
        ["ConnectionStrings:imagesdb"] = new NpgsqlConnectionStringBuilder(database.ConnectionString) { ApplicationName = application }.ConnectionString,
        ["IMG_STORAGE_BASE_DIR"] = store,
        ["IMG_RETENTION_INTERVAL_SECONDS"] = "1",
        ["IMG_RETENTION_BATCH_SIZE"] = "1",
    };
}

/// <summary>What the sweep handler logged: one line per sweep that deleted something or met an error.</summary>
internal static class SweepLog
{
    /// <summary>
    /// Waits until the sweeps have logged <paramref name="deleted"/> deletions in all (a sweep logs
    /// after its thumbnails and its collection of originals) and no original waits in the
    /// collection queue (a concurrent collector may hold one that the logging sweep skipped).
    /// </summary>
    public static Task WaitUntilSettledAsync(DatabaseFixture database, int deleted, params CapturingLoggerProvider[] logs) =>
        KafkaPipelineFixture.WaitUntilAsync(
            async () => logs.Sum(Deleted) >= deleted && await database.ScalarAsync("SELECT count(*) FROM blob_collection_queue") == 0,
            TimeSpan.FromSeconds(20),
            async () => $"sweeps logged {logs.Sum(Deleted)} deletions of {deleted}; rows: {await database.ScalarAsync("SELECT count(*) FROM images")}, " +
                        $"originals queued for collection: {await database.ScalarAsync("SELECT count(*) FROM blob_collection_queue")}");

    public static int Deleted(CapturingLoggerProvider logs) => Sum(logs, "Deleted");

    public static int Errors(CapturingLoggerProvider logs) => Sum(logs, "Errors");

    private static int Sum(CapturingLoggerProvider logs, string field) => logs.Entries
        .Where(e => e.Category == typeof(SweepExpiredImagesHandler).FullName && e.State.ContainsKey(field))
        .Sum(e => Convert.ToInt32(e.State[field], System.Globalization.CultureInfo.InvariantCulture));
}
