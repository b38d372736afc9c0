using Images.Tests.Support;
using k8s;
using k8s.Models;

namespace Images.Tests.Manifests;

/// <summary>
/// Renders kustomize folders with <c>kubectl kustomize</c> (kustomize is built into kubectl) and
/// parses every document into typed objects. Without kubectl the manifest tests fail, saying so:
/// reading the base files without the overlays would test something other than what is deployed.
/// </summary>
internal static class Kustomize
{
    public static Task<List<object>> RenderAsync(string overlay) => RenderDirectoryAsync(RepositoryFiles.PathOf("manifests", overlay));

    public static async Task<List<object>> RenderDirectoryAsync(string directory)
    {
        var kubectl = RepositoryFiles.FindOnPath("kubectl")
            ?? throw new InvalidOperationException(
                "kubectl is not on PATH: the manifest tests render the overlays with `kubectl kustomize` (kubectl 1.27 or newer, kustomize v5) and cannot run without it.");
        var (exitCode, output, error) = await RepositoryFiles.RunAsync(kubectl, ["kustomize", directory], TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0, $"kubectl kustomize {directory} failed: {error}");
        return [.. KubernetesYaml.LoadAllFromString(output)];
    }

    /// <summary>A pod as its workload declares it: the namespace, the template's labels and its spec.</summary>
    public sealed record Pod(string Name, string Namespace, IDictionary<string, string> Labels, V1PodSpec Spec);

    /// <summary>Every pod template of the render, named by its app.kubernetes.io/name label.</summary>
    public static IEnumerable<Pod> Pods(List<object> objects)
    {
        static Pod Make(V1ObjectMeta owner, V1PodTemplateSpec template)
        {
            var labels = template.Metadata?.Labels ?? new Dictionary<string, string>();
            return new Pod(labels.TryGetValue("app.kubernetes.io/name", out var name) ? name : owner.Name, owner.NamespaceProperty, labels, template.Spec);
        }

        return objects.OfType<V1Deployment>().Select(d => Make(d.Metadata, d.Spec.Template))
            .Concat(objects.OfType<V1StatefulSet>().Select(s => Make(s.Metadata, s.Spec.Template)))
            .Concat(objects.OfType<V1Job>().Select(j => Make(j.Metadata, j.Spec.Template)))
            .Concat(objects.OfType<V1CronJob>().Select(c => Make(c.Metadata, c.Spec.JobTemplate.Spec.Template)));
    }

    public static Pod PodOf(List<object> objects, string name) => Assert.Single(Pods(objects), p => p.Name == name);
}
