extern alias AppHost;

using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Images.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Images.Tests.AppHost;

/// <summary>
/// The AppHost in local mode (NFR-6) with two Worker replicas, from a data folder of its own, waited
/// on until the migrations finished and the Api and the Workers are healthy. Disposing stops it
/// (60 s at most) and deletes the folder.
/// </summary>
internal sealed class LocalAppHost : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private LocalAppHost(DistributedApplication app, string dataDirectory)
    {
        App = app;
        DataDirectory = dataDirectory;
    }

    public DistributedApplication App { get; }

    public string DataDirectory { get; }

    /// <param name="name">The data folder's prefix under the temporary folder.</param>
    /// <param name="arguments">AppHost arguments beside local mode, the folder, the replicas and random ports.</param>
    public static async Task<LocalAppHost> StartAsync(string name, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var data = Path.Combine(Path.GetTempPath(), name + "-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(data);
        if (OperatingSystem.IsLinux() && Environment.UserName == "root")
        {
            // The local PostgreSQL runs as the postgres user and needs to enter its data folder.
            File.SetUnixFileMode(data, (UnixFileMode)0b111_101_101);
        }

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<AppHost::Projects.Images_AppHost>(
            ["--Images:InfrastructureMode=local", $"--Images:DataDirectory={data}", "--Images:WorkerReplicas=2", "--DcpPublisher:RandomizePorts=true", .. arguments],
            (options, settings) => options.DisableDashboard = true,
            cancellationToken);
        var host = new LocalAppHost(await builder.BuildAsync(cancellationToken), data);
        try
        {
            await host.App.StartAsync(cancellationToken);
            var notifications = host.App.Services.GetRequiredService<ResourceNotificationService>();
            await notifications.WaitForResourceAsync(ResourceNames.Migrations, KnownResourceStates.Finished, cancellationToken).WaitAsync(StartTimeout, cancellationToken);
            await notifications.WaitForResourceHealthyAsync(ResourceNames.Api, cancellationToken).WaitAsync(StartTimeout, cancellationToken);
            await notifications.WaitForResourceHealthyAsync(ResourceNames.Worker, cancellationToken).WaitAsync(StartTimeout, cancellationToken);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await App.StopAsync(stopping.Token);
        }
        finally
        {
            await App.DisposeAsync();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
