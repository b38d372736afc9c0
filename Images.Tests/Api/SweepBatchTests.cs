using Images.Tests.Support;

namespace Images.Tests.Api;

public sealed class SweepBatchFixture : ApiFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["IMG_RETENTION_BATCH_SIZE"] = "3" };
}

/// <summary>
/// FR-4.3 seen from the database: a trigger records every DELETE statement on the images table
/// with its rows and its transaction (<see cref="DeletionLog"/>), so the batches of one sweep are
/// counted where they land rather than inferred from timing or statistics.
/// </summary>
public class SweepBatchTests(SweepBatchFixture api) : IClassFixture<SweepBatchFixture>
{
    [Fact]
    public async Task OneSweepDeletesTenExpiredImagesInBatchesOfThreeEachInItsOwnTransaction_FR4_3()
    {
        var expiring = await ExpiringImages.UploadAsync(api.Client, count: 10, seed: 4300);
        var deletions = await DeletionLog.InstallAsync(api);
        await api.ExecuteAsync(ExpiringImages.ExpireSql(expiring));

        var sweep = await api.Client.PostJsonAsync("/api/v1/retention/sweep");

        Assert.Equal(10, sweep.GetProperty("deleted_count").GetInt32());
        Assert.Equal(0, sweep.GetProperty("errors").GetInt32());
        var rows = await deletions.ReadAsync();
        Assert.Equal(expiring.Select(Guid.Parse).Order(), rows.Select(r => r.ImageId).Order());
        var statements = rows.GroupBy(r => r.Statement).OrderBy(g => g.Key).ToList();
        Assert.Equal([3, 3, 3, 1], statements.Select(g => g.Count()));
        // One transaction per batch: a batch's rows are gone for good before the next is taken.
        Assert.Equal(4, rows.Select(r => r.Transaction).Distinct().Count());
        Assert.Equal(0, await api.ScalarAsync("SELECT count(*) FROM images"));
        Assert.Empty(api.StoredOriginals());
    }
}
