using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Images.Tests.Support;

/// <summary>
/// s3rver (npm, 3.7.1): a real S3-protocol server backed by a folder, run as a process of its own
/// on a free loopback port, so that the S3 store is tested over HTTP with the real AWS SDK and can
/// be killed and started again (NFR-9). `.ci/run` installs it into `.data/s3rver`; when it is
/// missing, the first fixture installs it there with npm (bounded in time, one at a time).
/// </summary>
public sealed class S3Server : IAsyncDisposable
{
    public const string Version = "3.7.1";

    /// <summary>s3rver accepts any credentials that sign well; these are the tests'.</summary>
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private readonly StringBuilder _output = new();
    private Process? _process;

    private S3Server(string directory, int port, string bucket)
    {
        Directory = directory;
        Port = port;
        Bucket = bucket;
    }

    public string Directory { get; }

    public int Port { get; }

    public string Bucket { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

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

    public static async Task<S3Server> StartAsync(string bucket = "images-test")
    {
        var directory = Path.Combine(Path.GetTempPath(), "images-tests-s3rver-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        var server = new S3Server(directory, Ports.Free(), bucket);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the server (again) on the same port and folder: what it stored is still there.</summary>
    public async Task StartAgainAsync()
    {
        var script = await InstalledScriptAsync();
        var psi = new ProcessStartInfo(Node(), [script, "-d", Directory, "-a", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent", "--configure-bucket", Bucket])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"s3rver exited with {process.ExitCode}:\n{Output}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        Kill();
        throw new TimeoutException($"s3rver did not listen on port {Port} within 30 s:\n{Output}");
    }

    /// <summary>Kills the server at once (the store "goes away"): connections are refused until <see cref="StartAgainAsync"/>.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }

        _process?.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>node from PATH (Debian's nodejs package, or NodeSource's).</summary>
    private static string Node() =>
        RepositoryFiles.FindOnPath("node") ?? RepositoryFiles.FindOnPath("nodejs")
        ?? throw new InvalidOperationException("node is not installed: `apt-get install nodejs npm` (.ci/run does it).");

    private static async Task<string> InstalledScriptAsync()
    {
        var prefix = RepositoryFiles.PathOf(".data", "s3rver");
        var script = Path.Combine(prefix, "node_modules", "s3rver", "bin", "s3rver.js");
        if (File.Exists(script))
        {
            return script;
        }

        await InstallLock.WaitAsync();
        try
        {
            if (!File.Exists(script))
            {
                System.IO.Directory.CreateDirectory(prefix);
                var npm = RepositoryFiles.FindOnPath("npm") ?? throw new InvalidOperationException("npm is not installed: `apt-get install nodejs npm` (.ci/run does it).");
                var (exitCode, output, error) = await RepositoryFiles.RunAsync(
                    npm, ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--loglevel=error", $"s3rver@{Version}"], TimeSpan.FromMinutes(3));
                if (exitCode != 0 || !File.Exists(script))
                {
                    throw new InvalidOperationException($"npm install s3rver@{Version} failed ({exitCode}):\n{output}\n{error}");
                }
            }
        }
        finally
        {
            InstallLock.Release();
        }

        return script;
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
