using System.Diagnostics;
using System.Net.Sockets;
using Npgsql;

namespace Images.Tests.Support;

/// <summary>
/// A throw-away PostgreSQL cluster from the machine's binaries (initdb + postgres on a free port),
/// started once per test run and removed at exit. As root it runs as the <c>postgres</c> user,
/// because the server refuses to run as root.
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync);
    private readonly Process _process;
    private readonly string _directory;

    private PostgresServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public const string User = "postgres";
    public const string Password = "postgres";

    public static Task<PostgresServer> GetAsync() => Shared.Value;

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Database = database,
        Username = User,
        Password = Password,
        Pooling = true,
        Timeout = 15,
    }.ConnectionString;

    private static async Task<PostgresServer> StartAsync()
    {
        var bin = FindBinDirectory();
        var directory = Path.Combine(Path.GetTempPath(), "images-tests-pg-" + Guid.NewGuid().ToString("N")[..12]);
        var data = Path.Combine(directory, "data");
        Directory.CreateDirectory(directory);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", directory], asPostgres: false);
        }

        await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", User, "--auth=trust", "-E", "UTF8", "--no-sync"], asRoot);

        var port = Ports.Free();
        var psi = Command(Path.Combine(bin, "postgres"),
            ["-D", data, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-k", directory,
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=300"],
            asRoot);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start postgres.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new PostgresServer(process, directory, port);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(server.ConnectionString("postgres"));
                await connection.OpenAsync();
                return server;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException && DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    private void Stop()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }

            Directory.Delete(_directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // Best effort at process exit.
        }
    }

    private static string FindBinDirectory()
    {
        foreach (var candidate in new[] { "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin" })
        {
            if (File.Exists(Path.Combine(candidate, "postgres")))
            {
                return candidate;
            }
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(':').FirstOrDefault(p => File.Exists(Path.Combine(p, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL server binaries (initdb, postgres) were not found; install postgresql.");
    }

    private static ProcessStartInfo Command(string file, IEnumerable<string> arguments, bool asPostgres)
    {
        var psi = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asPostgres)
        {
            psi.ArgumentList.Add("-u");
            psi.ArgumentList.Add("postgres");
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(file);
        }

        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        return psi;
    }

    private static async Task RunAsync(string file, IEnumerable<string> arguments, bool asPostgres)
    {
        var (exitCode, output, error) = await RepositoryFiles.RunAsync(Command(file, arguments, asPostgres), TimeSpan.FromSeconds(60));
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed ({exitCode}): {output}{error}");
        }
    }

}
