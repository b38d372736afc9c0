using System.Diagnostics;
using System.Globalization;
using Images.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Images.MigrationService;

/// <summary>
/// <c>--wait-for-schema[=SECONDS]</c> (default 600): wait for the schema instead of applying it.
/// </summary>
internal sealed record SchemaWaitOptions(TimeSpan Timeout)
{
    public const string Argument = "--wait-for-schema";

    /// <summary>The options when <paramref name="args"/> ask for the wait; null for the normal migration run.</summary>
    public static SchemaWaitOptions? FromArguments(IEnumerable<string> args)
    {
        var argument = args.FirstOrDefault(a => a == Argument || a.StartsWith(Argument + "=", StringComparison.Ordinal));
        if (argument is null)
        {
            return null;
        }

        if (argument == Argument)
        {
            return new SchemaWaitOptions(TimeSpan.FromSeconds(600));
        }

        var value = argument[(Argument.Length + 1)..];
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and <= 86_400
            ? new SchemaWaitOptions(TimeSpan.FromSeconds(seconds))
            : throw new ArgumentException($"{Argument} takes a number of seconds between 1 and 86400; got '{value}'.");
    }
}

/// <summary>
/// NFR-5 in Kubernetes: the api and worker pods run this image with <c>--wait-for-schema</c> as an
/// init container. It exits 0 once the database holds every migration this build knows (none
/// pending), and non-zero when that has not happened within the timeout (the pod then retries).
/// It waits for the schema itself rather than for a Job object: the migrations Job is named per
/// release and removed a day after it finished, so a pod that starts later (a restart, a scale-up)
/// finds the schema in place and starts at once, and a pod of a new release waits for its own
/// migrations. It needs no Kubernetes API access (no token, no egress to the API server).
/// </summary>
internal sealed partial class SchemaWaiter(
    IServiceProvider services,
    SchemaWaitOptions options,
    IHostApplicationLifetime lifetime,
    ILogger<SchemaWaiter> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = Stopwatch.StartNew();
        var lastLog = TimeSpan.MinValue;
        try
        {
            while (true)
            {
                string waitingFor;
                Exception? error = null;
                try
                {
                    await using var scope = services.CreateAsyncScope();
                    var db = scope.ServiceProvider.GetRequiredService<ImagesDbContext>();
                    var pending = (await db.Database.GetPendingMigrationsAsync(stoppingToken)).ToList();
                    if (pending.Count == 0)
                    {
                        LogReady(started.Elapsed.TotalSeconds);
                        return;
                    }

                    waitingFor = "pending migrations: " + string.Join(", ", pending);
                }
                catch (NpgsqlException ex)
                {
                    // Not reachable yet, or the database does not exist yet: keep waiting.
                    waitingFor = "the database";
                    error = ex;
                }

                if (started.Elapsed >= options.Timeout)
                {
                    LogTimedOut(error, options.Timeout.TotalSeconds, waitingFor);
                    Environment.ExitCode = 1;
                    return;
                }

                if (lastLog == TimeSpan.MinValue || started.Elapsed - lastLog >= LogEvery)
                {
                    lastLog = started.Elapsed;
                    LogWaiting(error, waitingFor);
                }

                await Task.Delay(Interval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            Environment.ExitCode = 1;
        }
#pragma warning disable CA1031 // Any failure ends the process with a non-zero exit code.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogFailed(ex);
            Environment.ExitCode = 1;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema is up to date after {Seconds:0.0} s; no migration pending")]
    private partial void LogReady(double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Waiting for the database schema; waiting for {WaitingFor}")]
    private partial void LogWaiting(Exception? exception, string waitingFor);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Database schema not ready after {Seconds} s; still waiting for {WaitingFor}")]
    private partial void LogTimedOut(Exception? exception, double seconds, string waitingFor);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Waiting for the database schema failed")]
    private partial void LogFailed(Exception exception);
}
