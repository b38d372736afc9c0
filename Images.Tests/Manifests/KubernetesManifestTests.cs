using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Images.Contracts;
using Images.Tests.Support;
using k8s.Models;

namespace Images.Tests.Manifests;

/// <summary>NFR-5: the Kubernetes manifests, rendered with kustomize and parsed into typed objects.</summary>
public partial class KubernetesManifestTests
{
    public static TheoryData<string> Overlays => ["overlays/dev", "overlays/prod"];

    private static Task<List<object>> RenderAsync(string overlay) => Kustomize.RenderAsync(overlay);

    /// <summary>Every pod template, named by its app.kubernetes.io/name label (the Job's name carries the release).</summary>
    private static IEnumerable<(string Name, V1PodSpec Pod)> Workloads(List<object> objects) =>
        Kustomize.Pods(objects).Where(p => p.Name is not ("postgres" or "kafka" or "minio")).Select(p => (p.Name, p.Spec));

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task ApiAndWorkerDeploymentsFollowTheRules_NFR5(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var migrations = Assert.Single(Assert.Single(objects.OfType<V1Job>()).Spec.Template.Spec.Containers);
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
            // FR-11.2: no shared volume; the S3 store's endpoint and keys come from the Secret.
            Assert.DoesNotContain(pod.Volumes, v => v.PersistentVolumeClaim is not null);
            Assert.Contains(container.Env, e => e.Name == "ConnectionStrings__s3" && e.ValueFrom.SecretKeyRef.Name == "images-secrets");

            // NFR-5: they start only once the schema of their release is in the database: the
            // migrations image of the Job waits for it, through the database (no API server access).
            var wait = Assert.Single(pod.InitContainers);
            Assert.Equal(migrations.Image, wait.Image);
            Assert.Equal(["--wait-for-schema=600"], wait.Args);
            Assert.Null(wait.Command);
            Assert.Contains(wait.Env, e => e.Name == "ConnectionStrings__imagesdb" && e.ValueFrom.SecretKeyRef.Name == "images-secrets");
            Assert.True(wait.SecurityContext.ReadOnlyRootFilesystem);
            Assert.False(pod.AutomountServiceAccountToken);
        }

        var worker = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == ResourceNames.Worker).Spec.Template.Spec.Containers[0];
        Assert.Contains(worker.Ports, p => p.ContainerPort == 9090);
        Assert.DoesNotContain(objects, o => o is V1Role or V1RoleBinding);
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
        // FR-11.2: blobs in S3, staged in the pod's own /tmp; no ReadWriteMany claim anywhere.
        Assert.Equal("s3", config.Data["IMG_STORAGE_BACKEND"]);
        Assert.StartsWith("/tmp/", config.Data["IMG_S3_STAGING_DIR"], StringComparison.Ordinal);
        Assert.DoesNotContain(objects.OfType<V1PersistentVolumeClaim>(), c => c.Spec.AccessModes.Contains("ReadWriteMany"));
        Assert.DoesNotContain(objects.OfType<V1StatefulSet>().SelectMany(s => s.Spec.VolumeClaimTemplates ?? []), c => c.Spec.AccessModes.Contains("ReadWriteMany"));
        var sweep = Assert.Single(objects.OfType<V1CronJob>());
        Assert.Contains("/api/v1/retention/sweep", string.Join(' ', sweep.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args));
        Assert.Equal("Forbid", sweep.Spec.ConcurrencyPolicy);
    }

    [Fact]
    public async Task DevRunsPostgresKafkaAndMinioInTheClusterAndProdDoesNot_FR11_2()
    {
        var dev = await RenderAsync("overlays/dev");
        var prod = await RenderAsync("overlays/prod");
        Assert.Equal(["kafka", "minio", "postgres"], dev.OfType<V1StatefulSet>().Select(s => s.Metadata.Name).Order());
        Assert.Empty(prod.OfType<V1StatefulSet>());

        // dev's services reach its MinIO through the Secret's connection string and create the bucket.
        var secret = Assert.Single(dev.OfType<V1Secret>());
        Assert.Contains("Endpoint=http://minio:9000", secret.StringData["ConnectionStrings__s3"], StringComparison.Ordinal);
        Assert.Contains($"SecretKey={secret.StringData["MINIO_ROOT_PASSWORD"]}", secret.StringData["ConnectionStrings__s3"], StringComparison.Ordinal);
        Assert.Equal("true", Assert.Single(dev.OfType<V1ConfigMap>()).Data["IMG_S3_CREATE_BUCKET"]);
        Assert.DoesNotContain("IMG_S3_CREATE_BUCKET", Assert.Single(prod.OfType<V1ConfigMap>()).Data.Keys);
        var minio = Kustomize.PodOf(dev, "minio").Spec;
        Assert.True(minio.SecurityContext.RunAsNonRoot);
        Assert.Contains(dev.OfType<V1Service>(), s => s.Metadata.Name == "minio" && s.Spec.Ports.Single().Port == 9000);
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
            foreach (var env in pod.Containers.Concat(pod.InitContainers ?? []).SelectMany(c => c.Env ?? []))
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
        var workloads = Kustomize.Pods(dev).Select(p => p.Name).ToHashSet();
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
                // A database inside a server ("{postgres.connectionString};Database=imagesdb"), or the
                // S3 store's address ("Endpoint=http://{minio.bindings.http.host}:..."): the server is the workload.
                var connectionString = resource.Value.GetProperty("connectionString").GetString()!;
                name = ServerReference().Match(connectionString).Groups[1].Value;
            }

            Assert.True(workloads.Contains(name), $"Aspire resource {resource.Name} ({type}) has no workload in the manifests");
        }
    }

    [Fact]
    public async Task TheAspireManifestRunsMinioAndWiresTheApiAndWorkerToIt_FR11_2()
    {
        var path = Path.Combine(Path.GetTempPath(), "images-manifest-" + Guid.NewGuid().ToString("N")[..10] + ".json");
        var (exitCode, output, error) = await RepositoryFiles.RunAsync("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Images.AppHost.dll"), "--publisher", "manifest", "--output-path", path], TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0, output + error);
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(path));
        File.Delete(path);
        var resources = manifest.RootElement.GetProperty("resources");

        Assert.StartsWith("minio/minio:", resources.GetProperty("minio").GetProperty("image").GetString(), StringComparison.Ordinal);
        var store = resources.GetProperty(ResourceNames.ObjectStore).GetProperty("connectionString").GetString()!;
        Assert.Contains("Endpoint=http://{minio.bindings.http.host}", store, StringComparison.Ordinal);
        Assert.Contains("SecretKey={minio-password.value}", store, StringComparison.Ordinal);
        foreach (var service in new[] { ResourceNames.Api, ResourceNames.Worker })
        {
            var env = resources.GetProperty(service).GetProperty("env");
            Assert.Equal("s3", env.GetProperty("IMG_STORAGE_BACKEND").GetString());
            Assert.Equal($"{{{ResourceNames.ObjectStore}.connectionString}}", env.GetProperty($"ConnectionStrings__{ResourceNames.ObjectStore}").GetString());
            Assert.False(env.TryGetProperty("IMG_STORAGE_BASE_DIR", out _), $"{service} still gets a folder");
        }
    }

    [Fact]
    public async Task ProdRendersNoSecretWhileItsWorkloadsReadTheOperatorsImagesSecrets_NFR5()
    {
        var prod = await RenderAsync("overlays/prod");
        Assert.Empty(prod.OfType<V1Secret>());
        var references = SecretReferences(prod);
        Assert.All(references, r => Assert.Equal("images-secrets", r.Secret));
        Assert.Equal(["ConnectionStrings__imagesdb", "ConnectionStrings__kafka", "ConnectionStrings__s3", "IMG_API_KEY"], references.Select(r => r.Key).Distinct().Order(StringComparer.Ordinal));
        foreach (var workload in new[] { ResourceNames.Api, ResourceNames.Worker, ResourceNames.Migrations, "retention-sweep" })
        {
            Assert.Contains(references, r => r.Workload == workload);
        }
    }

    [Fact]
    public async Task DevRendersItsOwnSecretWithEveryKeyItsWorkloadsRead()
    {
        var dev = await RenderAsync("overlays/dev");
        var secret = Assert.Single(dev.OfType<V1Secret>());
        Assert.Equal("images-secrets", secret.Metadata.Name);
        Assert.All(SecretReferences(dev), r => Assert.Contains(r.Key, secret.StringData.Keys));
        Assert.NotEqual(Images.Api.ApiOptions.PlaceholderApiKey, secret.StringData["IMG_API_KEY"], StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain(secret.StringData.Values, v => v.Contains("CHANGE-ME", StringComparison.OrdinalIgnoreCase));
    }

    private static List<(string Workload, string Secret, string Key)> SecretReferences(List<object> objects) =>
        [.. Kustomize.Pods(objects).SelectMany(p => p.Spec.Containers.Concat(p.Spec.InitContainers ?? [])
            .SelectMany(c => c.Env ?? []).Where(e => e.ValueFrom?.SecretKeyRef is not null)
            .Select(e => (p.Name, e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)))];

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task TheMigrationsJobIsNamedAfterTheReleaseAndRemovedADayAfterItFinished_NFR5(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var job = Assert.Single(objects.OfType<V1Job>());
        var image = Assert.Single(job.Spec.Template.Spec.Containers).Image;
        Assert.Equal($"{ResourceNames.Migrations}-{image[(image.LastIndexOf(':') + 1)..]}", job.Metadata.Name);
        Assert.Equal(86_400, job.Spec.TtlSecondsAfterFinished);
        Assert.Equal(ResourceNames.Migrations, job.Spec.Template.Metadata.Labels["app.kubernetes.io/name"]);
    }

    [Fact]
    public async Task ANewReleaseTagGivesANewMigrationsJobThatTheApiAndWorkerWaitFor_NFR5()
    {
        // The operator's upgrade: a new tag in the prod overlay's images list (what
        // `kustomize edit set image` writes), rendered from a copy of the manifests.
        var copy = Path.Combine(Path.GetTempPath(), "images-manifests-" + Guid.NewGuid().ToString("N")[..10]);
        try
        {
            CopyDirectory(RepositoryFiles.PathOf("manifests"), copy);
            var kustomization = Path.Combine(copy, "overlays", "prod", "kustomization.yaml");
            var text = await File.ReadAllTextAsync(kustomization);
            Assert.Equal(3, Regex.Count(text, "newTag: \"1\\.0\\.0\""));
            await File.WriteAllTextAsync(kustomization, text.Replace("newTag: \"1.0.0\"", "newTag: \"1.1.0\"", StringComparison.Ordinal));

            var before = await RenderAsync("overlays/prod");
            var after = await Kustomize.RenderDirectoryAsync(Path.Combine(copy, "overlays", "prod"));
            var job = Assert.Single(after.OfType<V1Job>());
            Assert.Equal("migrations-1.1.0", job.Metadata.Name);
            Assert.NotEqual(Assert.Single(before.OfType<V1Job>()).Metadata.Name, job.Metadata.Name);
            foreach (var name in new[] { ResourceNames.Api, ResourceNames.Worker })
            {
                var deployment = after.OfType<V1Deployment>().Single(d => d.Metadata.Name == name);
                Assert.Equal(job.Spec.Template.Spec.Containers[0].Image, Assert.Single(deployment.Spec.Template.Spec.InitContainers).Image);
                Assert.EndsWith(":1.1.0", deployment.Spec.Template.Spec.Containers[0].Image, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private static void CopyDirectory(string source, string destination)
    {
        foreach (var directory in Directory.GetDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(directory.Replace(source, destination, StringComparison.Ordinal));
        }

        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, file.Replace(source, destination, StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task TheRetentionSweepKeepsTheApiKeyOutOfEveryArgv_FR7_1(string overlay)
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Fail("This test runs the sweep's shell command and reads /proc: Linux only.");
            return;
        }

        var objects = await RenderAsync(overlay);
        var container = Assert.Single(Assert.Single(objects.OfType<V1CronJob>()).Spec.JobTemplate.Spec.Template.Spec.Containers);
        var keyVariable = Assert.Single(container.Env, e => e.Name == "IMG_API_KEY");
        Assert.Equal(("images-secrets", "IMG_API_KEY"), (keyVariable.ValueFrom.SecretKeyRef.Name, keyVariable.ValueFrom.SecretKeyRef.Key));
        Assert.Equal("/bin/sh", container.Command[0]);

        // Run the container's command line here as the kubelet would start it ($(VAR) references
        // expanded from its env), with a stand-in curl that records its argv and stdin and holds
        // still while every process's argv on this machine is searched for the key.
        var key = "k-" + Guid.NewGuid().ToString("N");
        var stub = Path.Combine(Path.GetTempPath(), "images-sweep-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(stub);
        try
        {
            var curl = Path.Combine(stub, "curl");
            await File.WriteAllTextAsync(curl, """
                #!/bin/sh
                printf '%s\n' "$@" > "$STUB_DIR/argv"
                cat > "$STUB_DIR/stdin"
                : > "$STUB_DIR/ready"
                i=0
                while [ ! -e "$STUB_DIR/done" ] && [ "$i" -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
                echo '{"deleted_count": 0, "errors": 0}'
                """.Replace("\r", string.Empty, StringComparison.Ordinal));
            File.SetUnixFileMode(curl, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var environment = new Dictionary<string, string> { ["IMG_API_KEY"] = key };
            var psi = new ProcessStartInfo(KubeletExpand(container.Command[0], environment))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in container.Command.Skip(1).Concat(container.Args ?? []))
            {
                psi.ArgumentList.Add(KubeletExpand(argument, environment));
            }

            psi.Environment["IMG_API_KEY"] = key;
            psi.Environment["STUB_DIR"] = stub;
            psi.Environment["PATH"] = stub + ":" + psi.Environment["PATH"];
            var run = RepositoryFiles.RunAsync(psi, TimeSpan.FromSeconds(60));

            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
            {
                while (!File.Exists(Path.Combine(stub, "ready")))
                {
                    Assert.False(run.IsCompleted, "the sweep command ended before it called curl: " + (run.IsCompleted ? (await run).Error : string.Empty));
                    await Task.Delay(20, timeout.Token);
                }
            }

            var leaks = ProcessesWhoseArgvContains(key);
            await File.WriteAllTextAsync(Path.Combine(stub, "done"), string.Empty);
            var (exitCode, output, error) = await run;

            Assert.True(exitCode == 0, error);
            Assert.Contains("deleted_count", output, StringComparison.Ordinal);
            Assert.Empty(leaks);
            var argv = await File.ReadAllLinesAsync(Path.Combine(stub, "argv"));
            Assert.DoesNotContain(argv, a => a.Contains(key, StringComparison.Ordinal));
            Assert.Equal(["--fail", "--silent", "--show-error", "-X", "POST", "-H", "@-", "http://api:8000/api/v1/retention/sweep"], argv);
            Assert.Equal($"X-API-Key: {key}\n", await File.ReadAllTextAsync(Path.Combine(stub, "stdin")));

            // The printf that carries the key must be the shell's builtin, never a program with an
            // argv of its own (dash here, BusyBox ash in the Alpine-based curl image: both builtin).
            var (_, kind, _) = await RepositoryFiles.RunAsync("/bin/sh", ["-c", "command -V printf"], TimeSpan.FromSeconds(10));
            Assert.Contains("builtin", kind, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(stub, recursive: true);
        }
    }

    /// <summary>The kubelet's expansion of $(VAR) in command and args from the container's env.</summary>
    private static string KubeletExpand(string value, IDictionary<string, string> environment) =>
        KubeletReference().Replace(value, m => environment.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    private static List<string> ProcessesWhoseArgvContains(string secret)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes(secret);
        var found = new List<string>();
        foreach (var directory in Directory.GetDirectories("/proc").Where(d => Path.GetFileName(d).All(char.IsAsciiDigit)))
        {
            try
            {
                var cmdline = File.ReadAllBytes(Path.Combine(directory, "cmdline"));
                if (cmdline.AsSpan().IndexOf(needle) >= 0)
                {
                    found.Add($"{Path.GetFileName(directory)}: {System.Text.Encoding.UTF8.GetString(cmdline).Replace('\0', ' ')}");
                }
            }
            catch (IOException)
            {
                // The process ended meanwhile.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex KubeletReference();

    private static HashSet<string> VariablesReadByTheServices()
    {
        var variables = new HashSet<string>(StringComparer.Ordinal)
        {
            // Framework and Aspire conventions the hosts honour.
            "ASPNETCORE_HTTP_PORTS",
            "ConnectionStrings__imagesdb",
            "ConnectionStrings__kafka",
            // S3StorageOptions.ConnectionStringName (FR-11.1).
            $"ConnectionStrings__{Images.Infrastructure.Storage.S3.S3StorageOptions.ConnectionStringName}",
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

    [GeneratedRegex(@"\{([a-z0-9-]+)\.(?:bindings|connectionString)")]
    private static partial Regex ServerReference();
}
