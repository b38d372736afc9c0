using System.Net;
using k8s.Models;

namespace Images.Tests.Manifests;

/// <summary>One end of a connection: a pod (namespace and labels) or an address outside the cluster.</summary>
internal sealed record Peer(string? Namespace, IDictionary<string, string> Labels, IPAddress? Address)
{
    public static Peer Pod(string @namespace, params (string Key, string Value)[] labels) =>
        new(@namespace, labels.ToDictionary(l => l.Key, l => l.Value), null);

    public static Peer Of(Kustomize.Pod pod) => new(pod.Namespace, pod.Labels, null);

    public static Peer External(string address) => new(null, new Dictionary<string, string>(), IPAddress.Parse(address));

    public override string ToString() => Address?.ToString() ?? $"{Namespace}/{string.Join(",", Labels.Select(l => $"{l.Key}={l.Value}"))}";
}

/// <summary>
/// The NetworkPolicy semantics of Kubernetes (networking.k8s.io/v1), evaluated over rendered
/// policies, so that tests state which connections are allowed rather than which YAML exists: a pod
/// selected by a policy of a direction is isolated in that direction, and a connection is allowed
/// when the source's egress and the destination's ingress both allow it (each by any rule of any
/// policy that selects the pod). Namespaces carry only their automatic kubernetes.io/metadata.name
/// label. Named ports are not modelled (the manifests use numbers; a named port fails the test).
/// </summary>
internal sealed class NetworkPolicyModel(IEnumerable<V1NetworkPolicy> policies)
{
    private readonly List<V1NetworkPolicy> _policies = [.. policies];

    public static NetworkPolicyModel Of(List<object> objects) => new(objects.OfType<V1NetworkPolicy>());

    public bool Allows(Peer from, Peer to, int port, string protocol = "TCP") =>
        EgressAllows(from, to, port, protocol) && IngressAllows(to, from, port, protocol);

    private bool EgressAllows(Peer source, Peer destination, int port, string protocol)
    {
        if (source.Namespace is null)
        {
            return true; // Outside the cluster: no policy applies.
        }

        var selecting = Selecting(source, "Egress").ToList();
        return selecting.Count == 0 || selecting.Any(p => (p.Spec.Egress ?? []).Any(rule =>
            PortsMatch(rule.Ports, port, protocol) && PeersMatch(rule.To, p.Metadata.NamespaceProperty, destination)));
    }

    private bool IngressAllows(Peer destination, Peer source, int port, string protocol)
    {
        if (destination.Namespace is null)
        {
            return true;
        }

        var selecting = Selecting(destination, "Ingress").ToList();
        return selecting.Count == 0 || selecting.Any(p => (p.Spec.Ingress ?? []).Any(rule =>
            PortsMatch(rule.Ports, port, protocol) && PeersMatch(rule.FromProperty, p.Metadata.NamespaceProperty, source)));
    }

    private IEnumerable<V1NetworkPolicy> Selecting(Peer pod, string policyType) =>
        _policies.Where(p => p.Metadata.NamespaceProperty == pod.Namespace
                             && PolicyTypes(p).Contains(policyType)
                             && Matches(p.Spec.PodSelector, pod.Labels));

    /// <summary>Without policyTypes: Ingress always, Egress when the policy has egress rules.</summary>
    private static IList<string> PolicyTypes(V1NetworkPolicy policy) =>
        policy.Spec.PolicyTypes ?? (policy.Spec.Egress is { Count: > 0 } ? ["Ingress", "Egress"] : ["Ingress"]);

    private static bool PortsMatch(IList<V1NetworkPolicyPort>? ports, int port, string protocol) =>
        ports is null || ports.Count == 0 || ports.Any(p =>
        {
            if ((p.Protocol ?? "TCP") != protocol)
            {
                return false;
            }

            if (p.Port is null)
            {
                return true;
            }

            Assert.True(int.TryParse(p.Port.Value, out var number), $"named port '{p.Port.Value}' in a NetworkPolicy: use numbers");
            return p.EndPort is { } end ? port >= number && port <= end : port == number;
        });

    private static bool PeersMatch(IList<V1NetworkPolicyPeer>? peers, string policyNamespace, Peer other) =>
        peers is null || peers.Count == 0 || peers.Any(peer =>
        {
            if (peer.IpBlock is { } block)
            {
                return other.Address is { } address
                       && IPNetwork.Parse(block.Cidr).Contains(address)
                       && !(block.Except ?? []).Any(e => IPNetwork.Parse(e).Contains(address));
            }

            if (other.Namespace is null)
            {
                return false; // Pod and namespace selectors select pods only.
            }

            var namespaceMatches = peer.NamespaceSelector is null
                ? other.Namespace == policyNamespace
                : Matches(peer.NamespaceSelector, new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = other.Namespace });
            return namespaceMatches && (peer.PodSelector is null || Matches(peer.PodSelector, other.Labels));
        });

    private static bool Matches(V1LabelSelector? selector, IDictionary<string, string> labels)
    {
        if (selector is null)
        {
            return true;
        }

        return (selector.MatchLabels ?? new Dictionary<string, string>()).All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value)
               && (selector.MatchExpressions ?? []).All(e => e.OperatorProperty switch
               {
                   "In" => labels.TryGetValue(e.Key, out var v) && e.Values.Contains(v),
                   "NotIn" => !labels.TryGetValue(e.Key, out var v) || !e.Values.Contains(v),
                   "Exists" => labels.ContainsKey(e.Key),
                   "DoesNotExist" => !labels.ContainsKey(e.Key),
                   _ => throw new InvalidOperationException($"unknown selector operator {e.OperatorProperty}"),
               });
    }
}
