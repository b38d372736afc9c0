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

    /// <summary>A Worker; it serves /health and /metrics on IMG_WORKER_METRICS_PORT.</summary>
    public static Task<ServiceProcess> StartWorkerAsync(IDictionary<string, string> environment, TimeSpan timeout) =>
        StartAsync("Images.Worker.dll", environment, port => new Dictionary<string, string> { ["IMG_WORKER_METRICS_PORT"] = Invariant(port) }, timeout);

    /// <summary>An Api on a loopback port of its own.</summary>
    public static Task<ServiceProcess> StartApiAsync(IDictionary<string, string> environment, TimeSpan timeout) =>
        StartAsync("Images.Api.dll", environment, port => new Dictionary<string, string> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Invariant(port)}" }, timeout);

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

    private static async Task<ServiceProcess> StartAsync(string assembly, IDictionary<string, string> environment, Func<int, Dictionary<string, string>> listen, TimeSpan timeout)
    {
        var port = Ports.Free();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly));
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("IMG_", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key);
        }

        foreach (var (key, value) in environment.Concat(listen(port)))
        {
            psi.Environment[key] = value;
        }

        var service = new ServiceProcess(Process.Start(psi)!, port);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !service.HasExited)
        {
            try
            {
                if ((await client.GetAsync(new Uri(service.BaseAddress, "/health"))).IsSuccessStatusCode)
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
        throw new InvalidOperationException($"{assembly} did not become healthy within {timeout}:\n{output}");
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
