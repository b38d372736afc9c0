using k8s.Models;

namespace Images.Tests.Manifests;

/// <summary>
/// NFR-5: the NetworkPolicies of each overlay, judged by the connections they allow and refuse
/// between the rendered pods (their real labels), the cluster DNS, the observability namespace and
/// addresses outside the cluster.
/// </summary>
public class NetworkPolicyTests
{
    public static TheoryData<string> Overlays => ["overlays/dev", "overlays/prod"];

    private static readonly Peer KubeDns = Peer.Pod("kube-system", ("k8s-app", "kube-dns"));
    private static readonly Peer Prometheus = Peer.Pod("observability", ("app.kubernetes.io/name", "prometheus"));
    private static readonly Peer Tempo = Peer.Pod("observability", ("app.kubernetes.io/name", "tempo"));
    private static readonly Peer Grafana = Peer.Pod("observability", ("app.kubernetes.io/name", "grafana"));
    private static readonly Peer IngressController = Peer.Pod("ingress-nginx", ("app.kubernetes.io/name", "ingress-nginx"));
    private static readonly Peer Internet = Peer.External("203.0.113.10");

    // prod's PostgreSQL and Kafka are servers outside the cluster (documentation addresses here).
    private static readonly Peer ExternalPostgres = Peer.External("192.0.2.10");
    private static readonly Peer ExternalKafka = Peer.External("192.0.2.20");

    private sealed record Render(List<object> Objects, NetworkPolicyModel Policies, bool IsDev)
    {
        public Peer Pod(string name) => Peer.Of(Kustomize.PodOf(Objects, name));

        public Peer Postgres => IsDev ? Pod("postgres") : ExternalPostgres;

        public Peer Kafka => IsDev ? Pod("kafka") : ExternalKafka;

        public IEnumerable<Peer> AllPods => Kustomize.Pods(Objects).Select(Peer.Of);
    }

    private static async Task<Render> RenderAsync(string overlay)
    {
        var objects = await Kustomize.RenderAsync(overlay);
        return new Render(objects, NetworkPolicyModel.Of(objects), overlay.EndsWith("dev", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task ADefaultDenySelectsEveryPodForIngressAndEgress(string overlay)
    {
        var render = await RenderAsync(overlay);
        var deny = Assert.Single(render.Objects.OfType<V1NetworkPolicy>(), p =>
            p.Spec.PodSelector.MatchLabels is null or { Count: 0 } && p.Spec.PodSelector.MatchExpressions is null or { Count: 0 }
            && p.Spec.Ingress is null or { Count: 0 } && p.Spec.Egress is null or { Count: 0 });
        Assert.Equal(["Egress", "Ingress"], deny.Spec.PolicyTypes.Order());
        Assert.Equal("images", deny.Metadata.NamespaceProperty);

        // What no rule opens stays shut, for every pod, both ways. The api reaches an outside 443 for
        // webhooks (FR-10.3) and, in prod, api and worker for the S3 store (FR-11.2), allowed by port
        // as PostgreSQL and Kafka are.
        foreach (var workload in Kustomize.Pods(render.Objects))
        {
            var pod = Peer.Of(workload);
            Assert.True(
                render.Policies.Allows(pod, Internet, 443) == (workload.Name == "api" || (!render.IsDev && workload.Name == "worker")),
                $"{workload.Name} -> internet:443");
            Assert.False(render.Policies.Allows(pod, Grafana, 3000), $"{pod} -> grafana:3000");
            Assert.False(render.Policies.Allows(Internet, pod, 22), $"internet -> {pod}:22");
        }

        Assert.False(render.Policies.Allows(render.Pod("worker"), render.Pod("api"), 8000));
        Assert.False(render.Policies.Allows(render.Pod("api"), render.Pod("worker"), 9090));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task EveryPodMayResolveNamesThroughKubeDnsOnly(string overlay)
    {
        var render = await RenderAsync(overlay);
        foreach (var pod in render.AllPods)
        {
            Assert.True(render.Policies.Allows(pod, KubeDns, 53, "UDP"), $"{pod} -> kube-dns:53/UDP");
            Assert.True(render.Policies.Allows(pod, KubeDns, 53, "TCP"), $"{pod} -> kube-dns:53/TCP");
            Assert.False(render.Policies.Allows(pod, Peer.External("198.51.100.53"), 53, "UDP"), $"{pod} -> an outside resolver");
            Assert.False(render.Policies.Allows(pod, Peer.Pod("kube-system", ("k8s-app", "metrics-server")), 53, "UDP"), $"{pod} -> another kube-system pod");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task ApiAndWorkerReachPostgresKafkaAndTheCollectorAndNothingElse(string overlay)
    {
        var render = await RenderAsync(overlay);
        foreach (var name in new[] { "api", "worker" })
        {
            var pod = render.Pod(name);
            Assert.True(render.Policies.Allows(pod, render.Postgres, 5432), $"{name} -> postgres:5432");
            Assert.True(render.Policies.Allows(pod, render.Kafka, 9092), $"{name} -> kafka:9092");
            Assert.True(render.Policies.Allows(pod, Tempo, 4317), $"{name} -> OTLP collector:4317");
            Assert.False(render.Policies.Allows(pod, Tempo, 3200), $"{name} -> tempo:3200");
            Assert.False(render.Policies.Allows(pod, render.Postgres, 5433), $"{name} -> postgres:5433");
            Assert.Equal(name == "api", render.Policies.Allows(pod, Internet, 80));
            Assert.False(render.Policies.Allows(pod, Internet, 22), $"{name} -> internet:22");
            Assert.True(render.IsDev ? render.Policies.Allows(pod, render.Pod("minio"), 9000) : render.Policies.Allows(pod, Internet, 443), $"{name} -> the S3 store");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task TheApiReachesPublicWebhookTargetsOnly_FR10_3(string overlay)
    {
        var render = await RenderAsync(overlay);
        var api = render.Pod("api");
        foreach (var address in new[] { "203.0.113.10", "8.8.8.8", "2606:4700::1111" })
        {
            Assert.True(render.Policies.Allows(api, Peer.External(address), 443), $"api -> {address}:443");
        }

        foreach (var address in new[] { "10.0.0.5", "172.16.1.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "127.0.0.1", "fd00::1", "fe80::1" })
        {
            // In prod the api also reaches the S3 store on 443 wherever it is (FR-11.2: an endpoint
            // may well have a private address), so there the SSRF guard of the webhooks (ADR 13)
            // alone keeps deliveries off private 443s; dev's store is MinIO on 9000.
            Assert.Equal(!render.IsDev, render.Policies.Allows(api, Peer.External(address), 443));
            Assert.False(render.Policies.Allows(api, Peer.External(address), 80), $"api -> {address}:80");
        }

        Assert.False(render.Policies.Allows(api, Peer.External("8.8.8.8"), 8443), "api -> internet:8443");
    }

    [Fact]
    public async Task DevMinioAcceptsTheApiAndTheWorkerOnly_FR11_2()
    {
        var dev = await RenderAsync("overlays/dev");
        var minio = dev.Pod("minio");
        Assert.True(dev.Policies.Allows(dev.Pod("api"), minio, 9000));
        Assert.True(dev.Policies.Allows(dev.Pod("worker"), minio, 9000));
        Assert.False(dev.Policies.Allows(dev.Pod("migrations"), minio, 9000));
        Assert.False(dev.Policies.Allows(dev.Pod("retention-sweep"), minio, 9000));
        Assert.False(dev.Policies.Allows(dev.Pod("api"), minio, 9001));
        Assert.False(dev.Policies.Allows(dev.Pod("api"), Peer.External("198.51.100.9"), 9000));
    }

    [Fact]
    public async Task DevNarrowsDatabaseEgressToItsStatefulSetsAndProdAllowsItByPort()
    {
        var dev = await RenderAsync("overlays/dev");
        var prod = await RenderAsync("overlays/prod");
        foreach (var name in new[] { "api", "worker", "migrations" })
        {
            Assert.False(dev.Policies.Allows(dev.Pod(name), ExternalPostgres, 5432), $"dev {name} -> an outside 5432");
            Assert.True(prod.Policies.Allows(prod.Pod(name), ExternalPostgres, 5432), $"prod {name} -> external postgres");
        }

        Assert.False(dev.Policies.Allows(dev.Pod("api"), ExternalKafka, 9092));
        Assert.True(prod.Policies.Allows(prod.Pod("worker"), ExternalKafka, 9092));
        Assert.Empty(prod.Objects.OfType<V1StatefulSet>());
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task TheApiPortIsOpenToAnyoneAndNoOtherPortOrPodIs(string overlay)
    {
        var render = await RenderAsync(overlay);
        var api = render.Pod("api");
        Assert.True(render.Policies.Allows(IngressController, api, 8000));
        Assert.True(render.Policies.Allows(Internet, api, 8000));
        Assert.False(render.Policies.Allows(IngressController, api, 9090));
        foreach (var (name, port) in new[] { ("worker", 9090), ("migrations", 8080), ("retention-sweep", 8080) })
        {
            Assert.False(render.Policies.Allows(IngressController, render.Pod(name), port), $"ingress controller -> {name}:{port}");
        }

        if (render.IsDev)
        {
            Assert.False(render.Policies.Allows(IngressController, render.Postgres, 5432));
            Assert.False(render.Policies.Allows(IngressController, render.Kafka, 9092));
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task PrometheusScrapesTheApiAndTheWorkerMetricsPorts(string overlay)
    {
        var render = await RenderAsync(overlay);
        Assert.True(render.Policies.Allows(Prometheus, render.Pod("api"), 8000));
        Assert.True(render.Policies.Allows(Prometheus, render.Pod("worker"), 9090));

        // Only Prometheus, and only the one in the observability namespace.
        Assert.False(render.Policies.Allows(Grafana, render.Pod("worker"), 9090));
        Assert.False(render.Policies.Allows(Peer.Pod("default", ("app.kubernetes.io/name", "prometheus")), render.Pod("worker"), 9090));
        Assert.False(render.Policies.Allows(render.Pod("api"), render.Pod("worker"), 9090));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task TheRetentionSweepReachesTheApiOnly(string overlay)
    {
        var render = await RenderAsync(overlay);
        var sweep = render.Pod("retention-sweep");
        Assert.True(render.Policies.Allows(sweep, render.Pod("api"), 8000));
        Assert.False(render.Policies.Allows(sweep, render.Pod("api"), 9090));
        Assert.False(render.Policies.Allows(sweep, render.Pod("worker"), 9090));
        Assert.False(render.Policies.Allows(sweep, render.Postgres, 5432));
        Assert.False(render.Policies.Allows(sweep, Tempo, 4317));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task TheMigrationsJobReachesPostgresAndTheCollectorOnly(string overlay)
    {
        var render = await RenderAsync(overlay);
        var migrations = render.Pod("migrations");
        Assert.True(render.Policies.Allows(migrations, render.Postgres, 5432));
        Assert.True(render.Policies.Allows(migrations, Tempo, 4317));
        Assert.False(render.Policies.Allows(migrations, render.Kafka, 9092));
        Assert.False(render.Policies.Allows(migrations, render.Pod("api"), 8000));
    }

    [Fact]
    public async Task DevPostgresAndKafkaAcceptTheirClientsOnly()
    {
        var dev = await RenderAsync("overlays/dev");
        var postgres = dev.Pod("postgres");
        var kafka = dev.Pod("kafka");
        foreach (var client in new[] { "api", "worker", "migrations" })
        {
            Assert.True(dev.Policies.Allows(dev.Pod(client), postgres, 5432), $"{client} -> postgres");
        }

        Assert.True(dev.Policies.Allows(dev.Pod("api"), kafka, 9092));
        Assert.True(dev.Policies.Allows(dev.Pod("worker"), kafka, 9092));
        Assert.False(dev.Policies.Allows(dev.Pod("migrations"), kafka, 9092));
        Assert.False(dev.Policies.Allows(dev.Pod("retention-sweep"), postgres, 5432));
        Assert.False(dev.Policies.Allows(dev.Pod("retention-sweep"), kafka, 9092));
        Assert.False(dev.Policies.Allows(Prometheus, postgres, 5432));

        // The broker may reach itself through its Service (advertised listener kafka:9092).
        Assert.True(dev.Policies.Allows(kafka, kafka, 9092));
        Assert.False(dev.Policies.Allows(postgres, kafka, 9092));
        Assert.False(dev.Policies.Allows(kafka, postgres, 5432));
    }
}
