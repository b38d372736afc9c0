using System.Text.RegularExpressions;
using System.Xml.Linq;
using Images.Contracts;
using Images.Tests.Support;
using k8s.Models;

namespace Images.Tests.Manifests;

/// <summary>
/// The way from the README to a cluster (NFR-5): the images the README's publish command pushes are
/// the ones the prod overlay deploys, and the dev overlay gives minikube an address for the api.
/// </summary>
public partial class DeployPathTests
{
    [Fact]
    public async Task ProdOverlayDeploysTheImagesTheReadmePublishCommandPushes_NFR5()
    {
        // The README's command: -p:ContainerRegistry=<registry> -p:ContainerImageTags=<tag> for each
        // project, whose csproj names its ContainerRepository.
        var readme = await File.ReadAllTextAsync(RepositoryFiles.PathOf("README.md"));
        var registry = Assert.Single(RegistryOption().Matches(readme).Select(m => m.Groups[1].Value).Distinct());
        var tag = Assert.Single(TagOption().Matches(readme).Select(m => m.Groups[1].Value).Distinct());
        var pushed = new[] { "Images.Api", "Images.Worker", "Images.MigrationService" }
            .Select(project => $"{registry}/{ContainerRepository(project)}:{tag}")
            .Order()
            .ToList();

        var objects = await Kustomize.RenderAsync("overlays/prod");
        var deployed = Kustomize.Pods(objects)
            .SelectMany(p => p.Spec.Containers.Concat(p.Spec.InitContainers ?? []))
            .Select(c => c.Image)
            .Where(image => !image.StartsWith("curlimages/", StringComparison.Ordinal))
            .Distinct()
            .Order()
            .ToList();
        Assert.Equal(pushed, deployed);
    }

    [Fact]
    public async Task DevOverlayGivesMinikubeANodePortForTheApiAndProdKeepsItInside_NFR5()
    {
        // minikube/setup.sh and demo.sh ask `minikube service api --url`, which needs a NodePort.
        var dev = Assert.Single((await Kustomize.RenderAsync("overlays/dev")).OfType<V1Service>(), s => s.Metadata.Name == ResourceNames.Api);
        Assert.Equal("NodePort", dev.Spec.Type);
        var prod = Assert.Single((await Kustomize.RenderAsync("overlays/prod")).OfType<V1Service>(), s => s.Metadata.Name == ResourceNames.Api);
        Assert.True(prod.Spec.Type is null or "ClusterIP", prod.Spec.Type);
    }

    private static string ContainerRepository(string project)
    {
        var csproj = XDocument.Load(RepositoryFiles.PathOf(project, project + ".csproj"));
        return Assert.Single(csproj.Descendants("ContainerRepository")).Value;
    }

    [GeneratedRegex(@"-p:ContainerRegistry=([^\s\\]+)")]
    private static partial Regex RegistryOption();

    [GeneratedRegex(@"-p:ContainerImageTags=([^\s\\]+)")]
    private static partial Regex TagOption();
}
