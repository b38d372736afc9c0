using System.Reflection;
using System.Xml.Linq;
using Images.Tests.Support;

namespace Images.Tests.Architecture;

/// <summary>
/// NFR-1: the layers' references point inwards. Checked on the compiled assemblies (what they
/// actually reference) and on the project files (what they ask for).
/// </summary>
public class LayerTests
{
    private static readonly Assembly Domain = typeof(Images.Domain.Images.Image).Assembly;
    private static readonly Assembly Application = typeof(Images.Application.DependencyInjection).Assembly;
    private static readonly Assembly Infrastructure = typeof(Images.Infrastructure.DependencyInjection).Assembly;

    [Fact]
    public void TheDomainReferencesNothingButTheRuntime_NFR1()
    {
        Assert.All(References(Domain), name => Assert.True(IsRuntime(name), $"Images.Domain references {name}"));
        var project = Project("Images.Domain");
        Assert.Empty(project.Descendants("PackageReference"));
        Assert.Empty(project.Descendants("ProjectReference"));
    }

    [Fact]
    public void TheApplicationReferencesTheDomainAndAbstractionsOnly_NFR1()
    {
        Assert.All(References(Application), name => Assert.True(
            IsRuntime(name) || name == "Images.Domain" || name.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal),
            $"Images.Application references {name}"));
        Assert.Equal(["..\\Images.Domain\\Images.Domain.csproj"], ProjectReferences("Images.Application"));
    }

    [Fact]
    public void NoInnerLayerReferencesAnOuterOne_NFR1()
    {
        string[] outer = ["Images.Api", "Images.Worker", "Images.MigrationService", "Images.AppHost", "Images.ServiceDefaults"];
        foreach (var (assembly, forbidden) in new[]
                 {
                     (Domain, outer.Append("Images.Application").Append("Images.Infrastructure")),
                     (Application, outer.Append("Images.Infrastructure")),
                     (Infrastructure, outer),
                 })
        {
            var names = References(assembly).ToList();
            Assert.All(forbidden, name => Assert.DoesNotContain(name, names));
        }
    }

    [Fact]
    public void HostsDoNotReferenceEachOther_NFR1()
    {
        foreach (var host in new[] { "Images.Api", "Images.Worker", "Images.MigrationService" })
        {
            var references = ProjectReferences(host);
            Assert.All(references, reference => Assert.True(
                reference.Contains("Images.Infrastructure", StringComparison.Ordinal) || reference.Contains("Images.ServiceDefaults", StringComparison.Ordinal),
                $"{host} references {reference}"));
        }
    }

    [Fact]
    public void PortsLiveInTheApplicationAndAdaptersInInfrastructure_NFR1()
    {
        var ports = Application.GetTypes().Where(t => t.IsInterface && t.Namespace == "Images.Application.Abstractions").ToList();
        Assert.NotEmpty(ports);
        foreach (var port in ports)
        {
            Assert.Contains(Infrastructure.GetTypes(), t => t.IsClass && !t.IsAbstract && port.IsAssignableFrom(t));
        }
    }

    private static IEnumerable<string> References(Assembly assembly) => assembly.GetReferencedAssemblies().Select(a => a.Name!);

    private static bool IsRuntime(string name) => name is "System.Runtime" or "netstandard" or "mscorlib" || name.StartsWith("System.", StringComparison.Ordinal);

    private static XDocument Project(string name) => XDocument.Load(RepositoryFiles.PathOf(name, name + ".csproj"));

    private static List<string> ProjectReferences(string name) =>
        [.. Project(name).Descendants("ProjectReference").Select(r => (string)r.Attribute("Include")!)];
}
