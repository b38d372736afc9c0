using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Images.Tests.Support;

namespace Images.Tests.Api;

public sealed class ReconcilingFixture : ApiFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["IMG_RECONCILE_INTERVAL_SECONDS"] = "1",
        ["IMG_ORPHAN_GRACE_SECONDS"] = "600",
    };
}

/// <summary>
/// NFR-9: what a crash leaves in storage (an original placed whose row never committed, a
/// thumbnail whose row is gone, a half-written upload) is removed by the scheduled reconciliation
/// once older than the grace period, and counted; what a row references, or is recent, stays.
/// </summary>
public class ReconciliationTests(ReconcilingFixture api) : IClassFixture<ReconcilingFixture>
{
    [Fact]
    public async Task FilesLeftByACrashAreRemovedOnceOldAndCounted_NFR9()
    {
        var kept = await api.Client.UploadAsync(TestImages.Png(40, 30), "image/png");
        var keptId = kept.GetProperty("id").GetString()!;
        await api.Client.WaitForStatusAsync(keptId, TimeSpan.FromSeconds(30), "completed");
        var root = api.Factory.StorageDirectory;

        // The state a process killed between placing a blob and committing its row leaves behind.
        var orphanHash = Convert.ToHexStringLower(SHA256.HashData(RandomNumberGenerator.GetBytes(32)));
        var orphan = Plant(Path.Combine(root, "originals", orphanHash[..2], orphanHash[2..4], orphanHash), old: true);
        var recentHash = Convert.ToHexStringLower(SHA256.HashData(RandomNumberGenerator.GetBytes(32)));
        var recent = Plant(Path.Combine(root, "originals", recentHash[..2], recentHash[2..4], recentHash), old: false);
        var deadThumbnailId = Guid.NewGuid().ToString("N");
        var deadThumbnail = Plant(Path.Combine(root, "thumbnails", deadThumbnailId[..2], deadThumbnailId + ".jpg"), old: true);
        var halfUpload = Plant(Path.Combine(root, "tmp", "upload-crashed.part"), old: true);
        foreach (var file in Directory.GetFiles(Path.Combine(root, "originals"), kept.GetProperty("content_hash").GetString()!, SearchOption.AllDirectories)
                     .Concat(Directory.GetFiles(Path.Combine(root, "thumbnails"), Guid.Parse(keptId).ToString("N") + ".jpg", SearchOption.AllDirectories)))
        {
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(-2)); // Old, but referenced: it stays.
        }

        await KafkaPipelineFixture.WaitUntilAsync(
            () => Task.FromResult(!File.Exists(orphan) && !File.Exists(deadThumbnail) && !File.Exists(halfUpload)),
            TimeSpan.FromSeconds(30),
            () => Task.FromResult($"left: {string.Join(", ", new[] { orphan, deadThumbnail, halfUpload }.Where(File.Exists))}"));

        Assert.True(File.Exists(recent), "a recent file may belong to an upload that is committing right now");
        Assert.Single(Directory.GetFiles(Path.Combine(root, "originals"), kept.GetProperty("content_hash").GetString()!, SearchOption.AllDirectories));
        using (var thumbnail = await api.Client.GetAsync($"/api/v1/images/{keptId}/download?thumbnail=true"))
        {
            Assert.True(thumbnail.IsSuccessStatusCode);
        }

        // Each kind counted once (the exporter caches a scrape for a moment: scrape until it shows).
        var metrics = string.Empty;
        await KafkaPipelineFixture.WaitUntilAsync(
            async () =>
            {
                metrics = await api.Client.GetStringAsync("/metrics");
                return new[] { "original", "thumbnail", "temporary" }.All(kind =>
                    Regex.IsMatch(metrics, $"^storage_orphans_removed_total\\{{[^}}]*kind=\"{kind}\"[^}}]*\\}} 1( |$)", RegexOptions.Multiline));
            },
            TimeSpan.FromSeconds(10),
            () => Task.FromResult(string.Join("\n", metrics.Split('\n').Where(l => l.StartsWith("storage_orphans", StringComparison.Ordinal)))));
    }

    private static string Plant(string path, bool old)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(100));
        if (old)
        {
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(-2));
        }

        return path;
    }
}
