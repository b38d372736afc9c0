using System.Text.Json;
using System.Text.RegularExpressions;
using Images.Tests.Support;

namespace Images.Tests.Manifests;

public sealed class DashboardFixture : KafkaPipelineFixture;

/// <summary>FR-5.3: every metric a Grafana dashboard queries is one that the Api or the Worker exposes.</summary>
[Collection(KafkaCollection.Name)]
public partial class DashboardMetricsTests(DashboardFixture pipeline) : IClassFixture<DashboardFixture>
{
    [Fact]
    public async Task EveryMetricTheDashboardsQueryIsEmitted_FR5_3()
    {
        await using var worker = await pipeline.StartWorkerAsync();
        var image = await pipeline.Client.UploadAsync(TestImages.Png(64, 64, seed: 91), "image/png");
        await pipeline.Client.WaitForStatusAsync(image.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60), "completed");

        var queried = new HashSet<string>();
        foreach (var file in Directory.GetFiles(RepositoryFiles.PathOf("manifests", "observability", "dashboards"), "*.json"))
        {
            using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(file));
            foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
            {
                foreach (var target in panel.GetProperty("targets").EnumerateArray())
                {
                    // Drop label matchers, ranges and grouping clauses; what is left that is not a function call is a metric.
                    var expression = Grouping().Replace(Brackets().Replace(target.GetProperty("expr").GetString()!, " "), " ");
                    foreach (Match match in Identifier().Matches(expression))
                    {
                        queried.Add(match.Groups[1].Value);
                    }
                }
            }
        }

        // The Worker records its consumer histogram after committing, a moment after the image is
        // stored: scrape until everything shows up, or give up after the timeout.
        using var http = new HttpClient();
        var names = new HashSet<string>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        do
        {
            var exposed = await pipeline.Client.GetStringAsync("/metrics") + await http.GetStringAsync($"http://127.0.0.1:{worker.Port}/metrics");
            names = exposed.Split('\n')
                .Where(line => line.Length > 0 && line[0] != '#')
                .Select(line => MetricName().Match(line).Value)
                .ToHashSet();
            if (queried.IsSubsetOf(names))
            {
                break;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Contains("http_active_requests", queried);
        Assert.Contains("broker_consumer_processing_duration_seconds_bucket", queried);
        Assert.All(queried, metric => Assert.True(names.Contains(metric), $"the dashboards query {metric}, which no service exposes"));
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"\{[^}]*\}|\[[^\]]*\]")]
    private static partial Regex Brackets();

    [GeneratedRegex(@"\b(by|without|on|ignoring)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    // An identifier not followed by '(' (which would make it a PromQL function).
    [GeneratedRegex(@"\b([a-z_][a-z0-9_]*)\b(?!\s*\()")]
    private static partial Regex Identifier();
}
