using System.Diagnostics;
using System.Text;

namespace Images.Tests.Support;

/// <summary>An Images.Worker host run as its own process, so a test can kill it abruptly.</summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WorkerProcess(Process process, int port)
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

    public static async Task<WorkerProcess> StartAsync(IDictionary<string, string> environment, TimeSpan timeout)
    {
        var port = Ports.Free();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Images.Worker.dll"));
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("IMG_", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }

        psi.Environment["IMG_WORKER_METRICS_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var worker = new WorkerProcess(Process.Start(psi)!, port);

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !worker.HasExited)
        {
            try
            {
                if ((await client.GetAsync($"http://127.0.0.1:{port}/health")).IsSuccessStatusCode)
                {
                    return worker;
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

        var output = worker.Output;
        await worker.DisposeAsync();
        throw new InvalidOperationException($"The worker did not become healthy within {timeout}:\n{output}");
    }

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
