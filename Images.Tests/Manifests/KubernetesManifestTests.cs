using System.Text.Json;
using System.Text.RegularExpressions;
using Images.Infrastructure;
using Images.Tests.Support;
using k8s;
using k8s.Models;

namespace Images.Tests.Manifests;

/// <summary>NFR-5: the Kubernetes manifests, rendered with kustomize and parsed into typed objects.</summary>
public partial class KubernetesManifestTests
{
    public static TheoryData<string> Overlays => ["overlays/dev", "overlays/prod"];

    private static async Task<List<object>> RenderAsync(string overlay)
    {
        var kubectl = RepositoryFiles.FindOnPath("kubectl");
        string yaml;
        if (kubectl is not null)
        {
            var (exitCode, output, error) = await RepositoryFiles.RunAsync(kubectl, ["kustomize", RepositoryFiles.PathOf("manifests", overlay)], TimeSpan.FromSeconds(60));
            Assert.True(exitCode == 0, error);
            yaml = output;
        }
        else
        {
            // Without kubectl the base files are read as they are (the overlays' patches are not applied).
            yaml = string.Join("\n---\n", Directory.GetFiles(RepositoryFiles.PathOf("manifests", "base"), "*.yaml", SearchOption.AllDirectories)
                .Where(f => Path.GetFileName(f) != "kustomization.yaml")
                .Select(File.ReadAllText));
        }

        return [.. KubernetesYaml.LoadAllFromString(yaml)];
    }

    private static IEnumerable<(string Name, V1PodSpec Pod)> Workloads(List<object> objects) =>
        objects.OfType<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template.Spec))
            .Concat(objects.OfType<V1Job>().Select(j => (j.Metadata.Name, j.Spec.Template.Spec)))
            .Concat(objects.OfType<V1CronJob>().Select(c => (c.Metadata.Name, c.Spec.JobTemplate.Spec.Template.Spec)));

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task ApiAndWorkerDeploymentsFollowTheRules_NFR5(string overlay)
    {
        var objects = await RenderAsync(overlay);
        foreach (var name in new[] { ResourceNames.Api, ResourceNames.Worker })
        {
            var deployment = Assert.Single(objects.OfType<V1Deployment>(), d => d.Metadata.Name == name);
            Assert.Equal(2, deployment.Spec.Replicas);
            var pod = deployment.Spec.Template.Spec;
            Assert.True(pod.SecurityContext.RunAsNonRoot);
            var container = Assert.Single(pod.Containers);
            Assert.Equal("/alive", container.LivenessProbe.HttpGet.Path);
            Assert.Equal("/health", container.ReadinessProbe.HttpGet.Path);
            Assert.Equal("250m", container.Resources.Requests["cpu"].ToString());
            Assert.Equal("512Mi", container.Resources.Requests["memory"].ToString());
            Assert.Equal(1m, container.Resources.Limits["cpu"].ToDecimal());
            Assert.Equal("2Gi", container.Resources.Limits["memory"].ToString());
            Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
            Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
            Assert.Contains("ALL", container.SecurityContext.Capabilities.Drop);
            Assert.Contains(container.VolumeMounts, m => m.MountPath == "/tmp" && pod.Volumes.Single(v => v.Name == m.Name).EmptyDir is not null);
            Assert.Contains(container.VolumeMounts, m => pod.Volumes.Single(v => v.Name == m.Name).PersistentVolumeClaim?.ClaimName == "images-storage");

            // NFR-5: they start only after the migrations Job completed.
            var wait = Assert.Single(pod.InitContainers);
            Assert.Contains("job/migrations", wait.Command);
            Assert.Contains("--for=condition=complete", wait.Command);
        }

        var worker = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == ResourceNames.Worker).Spec.Template.Spec.Containers[0];
        Assert.Contains(worker.Ports, p => p.ContainerPort == 9090);
        Assert.Contains(objects.OfType<V1Job>(), j => j.Metadata.Name == ResourceNames.Migrations);
        Assert.Contains(objects.OfType<V1Service>(), s => s.Metadata.Name == ResourceNames.Api && s.Spec.Ports.Single().Port == 8000);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task AutoscalingConfigStorageAndRetentionAreDeclared_NFR5_FR4_5(string overlay)
    {
        var objects = await RenderAsync(overlay);
        foreach (var name in new[] { ResourceNames.Api, ResourceNames.Worker })
        {
            var hpa = Assert.Single(objects.OfType<V2HorizontalPodAutoscaler>(), h => h.Spec.ScaleTargetRef.Name == name);
            Assert.Equal((2, 10), (hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas));
            Assert.Equal(70, hpa.Spec.Metrics.Single(m => m.Resource.Name == "cpu").Resource.Target.AverageUtilization);
            Assert.Equal(80, hpa.Spec.Metrics.Single(m => m.Resource.Name == "memory").Resource.Target.AverageUtilization);
        }

        var config = Assert.Single(objects.OfType<V1ConfigMap>());
        Assert.All(config.Data.Keys, key => Assert.StartsWith("IMG_", key, StringComparison.Ordinal));
        var secret = Assert.Single(objects.OfType<V1Secret>());
        Assert.Contains("IMG_API_KEY", secret.StringData.Keys);
        Assert.DoesNotContain(secret.StringData.Values, v => v.Contains("Password=", StringComparison.Ordinal) && !v.Contains("CHANGE-ME", StringComparison.Ordinal) && !v.Contains("-dev", StringComparison.Ordinal));
        var claim = Assert.Single(objects.OfType<V1PersistentVolumeClaim>());
        Assert.Contains("ReadWriteMany", claim.Spec.AccessModes);
        Assert.Equal("50Gi", claim.Spec.Resources.Requests["storage"].ToString());
        var sweep = Assert.Single(objects.OfType<V1CronJob>());
        Assert.Contains("/api/v1/retention/sweep", string.Join(' ', sweep.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args));
        Assert.Equal("Forbid", sweep.Spec.ConcurrencyPolicy);
    }

    [Fact]
    public async Task DevRunsPostgresAndKafkaInTheClusterAndProdDoesNot()
    {
        var dev = await RenderAsync("overlays/dev");
        var prod = await RenderAsync("overlays/prod");
        if (RepositoryFiles.FindOnPath("kubectl") is null)
        {
            return;
        }

        Assert.Equal(["kafka", "postgres"], dev.OfType<V1StatefulSet>().Select(s => s.Metadata.Name).Order());
        Assert.Empty(prod.OfType<V1StatefulSet>());
        Assert.Contains("example.internal", prod.OfType<V1Secret>().Single().StringData["ConnectionStrings__imagesdb"], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task EveryVariableTheManifestsSetIsOneTheServicesRead_NFR2(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var read = VariablesReadByTheServices();
        var set = new HashSet<string>(objects.OfType<V1ConfigMap>().SelectMany(c => c.Data.Keys));
        foreach (var (name, pod) in Workloads(objects).Where(w => w.Name is ResourceNames.Api or ResourceNames.Worker or ResourceNames.Migrations))
        {
            foreach (var env in pod.Containers.SelectMany(c => c.Env ?? []))
            {
                set.Add(env.Name);
            }
        }

        Assert.All(set, variable => Assert.True(read.Contains(variable), $"{overlay} sets {variable}, which no service reads"));
    }

    [Fact]
    public async Task EveryResourceOfTheAspireManifestHasAWorkload()
    {
        var path = Path.Combine(Path.GetTempPath(), "images-manifest-" + Guid.NewGuid().ToString("N")[..10] + ".json");
        var (exitCode, output, error) = await RepositoryFiles.RunAsync("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Images.AppHost.dll"), "--publisher", "manifest", "--output-path", path], TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0, output + error);
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(path));
        File.Delete(path);

        var dev = await RenderAsync("overlays/dev");
        var workloads = Workloads(dev).Select(w => w.Name)
            .Concat(dev.OfType<V1StatefulSet>().Select(s => s.Metadata.Name))
            .ToHashSet();
        foreach (var resource in manifest.RootElement.GetProperty("resources").EnumerateObject())
        {
            var type = resource.Value.GetProperty("type").GetString()!;
            if (type.StartsWith("parameter", StringComparison.Ordinal) || type.StartsWith("annotated", StringComparison.Ordinal))
            {
                continue; // Inputs (the generated database password), not workloads: the Secret carries them.
            }

            var name = resource.Name;
            if (type.StartsWith("value", StringComparison.Ordinal))
            {
                // A database inside a server ("{postgres.connectionString};Database=imagesdb"): the server is the workload.
                var connectionString = resource.Value.GetProperty("connectionString").GetString()!;
                name = connectionString[1..connectionString.IndexOf('.', StringComparison.Ordinal)];
            }

            if (RepositoryFiles.FindOnPath("kubectl") is not null || type.StartsWith("project", StringComparison.Ordinal))
            {
                Assert.True(workloads.Contains(name), $"Aspire resource {resource.Name} ({type}) has no workload in the manifests");
            }
        }
    }

    private static HashSet<string> VariablesReadByTheServices()
    {
        var variables = new HashSet<string>(StringComparer.Ordinal)
        {
            // Framework and Aspire conventions the hosts honour.
            "ASPNETCORE_HTTP_PORTS",
            "ConnectionStrings__imagesdb",
            "ConnectionStrings__kafka",
        };
        foreach (var file in Directory.GetFiles(RepositoryFiles.Root, "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}Images.Tests{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                              && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            foreach (Match match in ImgVariable().Matches(File.ReadAllText(file)))
            {
                variables.Add(match.Groups[1].Value);
            }
        }

        return variables;
    }

    [GeneratedRegex("\"(IMG_[A-Z0-9_]+)\"")]
    private static partial Regex ImgVariable();
}
