using System.Diagnostics;
using System.Net.Sockets;
using Images.Infrastructure.Persistence;
using Npgsql;

namespace Images.Tests.Support;

/// <summary>
/// A throw-away PostgreSQL cluster from the machine's binaries (initdb + postgres on a free port),
/// started once per test run and removed at exit. As root it runs as the <c>postgres</c> user,
/// because the server refuses to run as root.
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(() => StartAsync(durable: false));
    private readonly string _directory;
    private readonly string _bin;
    private readonly bool _asRoot;
    private readonly bool _durable;
    private readonly SemaphoreSlim _creating = new(1, 1);
    private Process _process = null!;
    private bool _templateMigrated;

    private PostgresServer(string bin, string directory, int port, bool asRoot, bool durable)
    {
        _bin = bin;
        _directory = directory;
        _asRoot = asRoot;
        _durable = durable;
        Port = port;
    }

    public int Port { get; }

    public const string User = "postgres";
    public const string Password = "postgres";

    /// <summary>The cluster every test class shares (one database each).</summary>
    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>
    /// A cluster of its own, for a test that kills and restarts the server (NFR-9). It is durable,
    /// as a production server is: a commit it acknowledged survives the kill (the shared cluster
    /// trades that for speed, with fsync and synchronous commits off).
    /// </summary>
    public static Task<PostgresServer> StartDedicatedAsync() => StartAsync(durable: true);

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

    /// <summary>
    /// Creates a database holding the current schema: a copy of a template migrated once per
    /// cluster, which takes a few milliseconds where migrating each database took a second.
    /// </summary>
    public async Task CreateMigratedDatabaseAsync(string name)
    {
        const string template = "images_template";
        await _creating.WaitAsync();
        try
        {
            if (!_templateMigrated)
            {
                await ExecuteAsync($"CREATE DATABASE \"{template}\"");
                // Without pooling: no session may stay on a template while it is copied.
                var connectionString = new NpgsqlConnectionStringBuilder(ConnectionString(template)) { Pooling = false }.ConnectionString;
                await using (var db = new Images.Infrastructure.Persistence.ImagesDbContext(
                    new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<Images.Infrastructure.Persistence.ImagesDbContext>()
                        .UseImagesDatabase(connectionString).Options))
                {
                    await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.MigrateAsync(db.Database);
                }

                _templateMigrated = true;
            }

            await ExecuteAsync($"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
        }
        finally
        {
            _creating.Release();
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var admin = new NpgsqlConnection(ConnectionString("postgres"));
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand(sql, admin);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Kills the server at once, as a crash or a lost host would (it recovers at the next start).</summary>
    public void Halt()
    {
        var postmaster = PostmasterPid();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        // The postmaster (a child of runuser when run as root) and its backends go a moment after
        // the process waited for above; a server started again before then finds their lock file
        // and exits ("another postmaster is running").
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (postmaster is { } pid && Directory.Exists($"/proc/{pid}") && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }
    }

    private int? PostmasterPid()
    {
        try
        {
            var first = File.ReadLines(Path.Combine(_directory, "data", "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, System.Globalization.CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Starts the server again on the same port and data, and waits until it answers.</summary>
    public Task ResumeAsync() => RunServerAsync();

    private static async Task<PostgresServer> StartAsync(bool durable)
    {
        var bin = FindBinDirectory();
        var directory = Path.Combine(Path.GetTempPath(), "images-tests-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", directory], asPostgres: false);
        }

        await RunAsync(Path.Combine(bin, "initdb"), ["-D", Path.Combine(directory, "data"), "-U", User, "--auth=trust", "-E", "UTF8", "--no-sync"], asRoot);

        var server = new PostgresServer(bin, directory, Ports.Free(), asRoot, durable);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
        await server.RunServerAsync();
        return server;
    }

    private async Task RunServerAsync()
    {
        var psi = Command(Path.Combine(_bin, "postgres"),
            ["-D", Path.Combine(_directory, "data"), "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-k", _directory,
             "-c", "listen_addresses=127.0.0.1", "-c", $"fsync={Switch(_durable)}", "-c", $"synchronous_commit={Switch(_durable)}",
             "-c", $"full_page_writes={Switch(_durable)}", "-c", "max_connections=300"],
            _asRoot);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start postgres.");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
                await connection.OpenAsync();
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException && DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    private static string Switch(bool on) => on ? "on" : "off";

    /// <summary>Stops the server and removes its files.</summary>
    public void Stop()
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
