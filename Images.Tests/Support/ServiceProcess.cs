using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Images.Tests.Support;

/// <summary>
/// An Images.Worker or Images.Api host run as its own process, so that a test can kill it abruptly
/// or measure its memory (the peak resident set, which a test can reset before each step).
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    public const string Api = "Images.Api.dll";

    public const string Worker = "Images.Worker.dll";

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

    public int Pid => _process.Id;

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>A database no host can reach (it refuses at once): for starts that must not get as far as connecting.</summary>
    public const string UnreachableDatabase = "Host=127.0.0.1;Port=1;Database=none;Username=x;Password=y;Timeout=2";

    /// <summary>
    /// The settings of <paramref name="assembly"/> with nothing reachable: the unreachable database,
    /// the Worker on a Kafka broker that does not exist (the Api without a broker), its storage in
    /// <paramref name="storage"/>; callers add what they test.
    /// </summary>
    public static Dictionary<string, string> OfflineEnvironment(string assembly, string storage) => new()
    {
        ["ConnectionStrings__imagesdb"] = UnreachableDatabase,
        ["IMG_STORAGE_BASE_DIR"] = storage,
        ["IMG_BROKER_ENABLED"] = assembly == Worker ? "true" : "false",
        ["IMG_KAFKA_BOOTSTRAP_SERVERS"] = "127.0.0.1:1",
    };

    /// <summary>A Worker; it serves /health and /metrics on IMG_WORKER_METRICS_PORT.</summary>
    public static Task<ServiceProcess> StartWorkerAsync(IDictionary<string, string> environment, TimeSpan timeout) =>
        StartAsync(Worker, environment, ListenWorker, timeout, AppContext.BaseDirectory);

    /// <summary>
    /// An Api on a loopback port of its own, run from <paramref name="directory"/> (by default the
    /// test output directory, which holds every host's files).
    /// </summary>
    public static Task<ServiceProcess> StartApiAsync(IDictionary<string, string> environment, TimeSpan timeout, string? directory = null) =>
        StartAsync(Api, environment, ListenApi, timeout, directory);

    /// <summary>
    /// <see cref="Api"/> or <see cref="Worker"/> started until it answers /alive (its process is up
    /// and its service graph built; nothing it depends on need be reachable).
    /// </summary>
    public static Task<ServiceProcess> StartAliveAsync(string assembly, IDictionary<string, string> environment, TimeSpan timeout) =>
        StartAsync(assembly, environment, assembly == Api ? ListenApi : ListenWorker, timeout, AppContext.BaseDirectory, "/alive");

    /// <summary>
    /// Runs <see cref="Api"/> or <see cref="Worker"/> with <paramref name="environment"/> until it exits by itself (a host
    /// that refuses to start); a host still running after <paramref name="timeout"/> is killed and
    /// the wait throws. Returns the exit code and everything it wrote.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunUntilExitAsync(string assembly, IDictionary<string, string> environment, TimeSpan timeout)
    {
        var psi = StartInfo(assembly, environment, assembly == Api ? ListenApi : ListenWorker, AppContext.BaseDirectory);
        try
        {
            var (exitCode, output, error) = await RepositoryFiles.RunAsync(psi, timeout);
            return (exitCode, output + error);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{assembly} was still running after {timeout} (killed)");
        }
    }

    /// <summary>The sum of a metric's series on the process's Prometheus endpoint (every label set), e.g. broker_messages_consumed_total.</summary>
    public async Task<double> MetricAsync(string name)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var metrics = await client.GetStringAsync(new Uri(BaseAddress, "/metrics"));
        return metrics.Split('\n')
            .Where(l => l.StartsWith(name + " ", StringComparison.Ordinal) || l.StartsWith(name + "{", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary>The most memory the process has held since it started or since <see cref="ResetPeakMemory"/>.</summary>
    public long PeakMemoryBytes() => PeakRss.Peak(Pid);

    /// <summary>Starts a new peak at the current resident set.</summary>
    public void ResetPeakMemory() => PeakRss.Reset(Pid);

    /// <summary>Kills the process at once: no graceful shutdown, no offset commits, no leaving the group.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await Task.CompletedTask;
        _process.Dispose();
    }

    private static Dictionary<string, string> ListenApi(int port) => new() { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Invariant(port)}" };

    private static Dictionary<string, string> ListenWorker(int port) => new() { ["IMG_WORKER_METRICS_PORT"] = Invariant(port) };

    /// <summary>dotnet &lt;directory&gt;/&lt;assembly&gt; with only the given IMG_ and ASPNETCORE_ settings and a free port.</summary>
    private static ProcessStartInfo StartInfo(string assembly, IDictionary<string, string> environment, Func<int, Dictionary<string, string>> listen, string directory, int? port = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        psi.ArgumentList.Add(Path.Combine(directory, assembly));
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("IMG_", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key);
        }

        foreach (var (key, value) in environment.Concat(listen(port ?? Ports.Free())))
        {
            psi.Environment[key] = value;
        }

        return psi;
    }

    private static async Task<ServiceProcess> StartAsync(string assembly, IDictionary<string, string> environment, Func<int, Dictionary<string, string>> listen, TimeSpan timeout, string? directory, string path = "/health")
    {
        var port = Ports.Free();
        var psi = StartInfo(assembly, environment, listen, directory ?? AppContext.BaseDirectory, port);
        var service = new ServiceProcess(Process.Start(psi)!, port);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !service.HasExited)
        {
            try
            {
                if ((await client.GetAsync(new Uri(service.BaseAddress, path))).IsSuccessStatusCode)
                {
                    return service;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        var output = service.Output;
        await service.DisposeAsync();
        throw new InvalidOperationException($"{assembly} did not answer {path} within {timeout}:\n{output}");
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
