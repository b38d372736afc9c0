using Images.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Images.Infrastructure.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Images.Infrastructure.Events;

/// <summary>
/// LISTENs on <see cref="ImageEventLog.Channel"/> on a connection of its own and wakes this process's
/// event streams when any process (an Api replica, a Worker) commits an event: every replica sees
/// every event, as soon as it commits. Should the connection drop, it reconnects with a growing pause
/// and wakes the streams once it is back (they read the table, so nothing committed meanwhile is
/// lost; they also look every few seconds on their own). Its commands are kept out of traces: a
/// long-lived LISTEN is no request's work (NFR-10).
/// </summary>
public sealed partial class ImageEventListener(
    IServiceScopeFactory scopes,
    ImageEventSignal signal,
    TimeProvider clock,
    ILogger<ImageEventListener> logger) : BackgroundService
{
    private static readonly TimeSpan KeepAliveCheck = TimeSpan.FromSeconds(30);

    /// <summary>The first wait after a lost connection; it doubles up to 30 s.</summary>
    private const int FirstRetryMilliseconds = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        string connectionString;
        await using (var scope = scopes.CreateAsyncScope())
        {
            connectionString = scope.ServiceProvider.GetRequiredService<ImagesDbContext>().Database.GetConnectionString()
                ?? throw new InvalidOperationException("The images database has no connection string.");
        }

        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // Not from the pool: this connection is held for the life of the process.
        builder.ConnectionStringBuilder.Pooling = false;
        builder.ConnectionStringBuilder.KeepAlive = (int)KeepAliveCheck.TotalSeconds;
        builder.ConfigureTracing(tracing => tracing.ConfigureCommandFilter(_ => false).EnablePhysicalOpenTracing(false));
        await using var source = builder.Build();

        var backoff = Backoff.Start(FirstRetryMilliseconds, jitterMilliseconds: 0);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await source.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, _) => signal.Notify();
                await using (var listen = new NpgsqlCommand($"LISTEN {ImageEventLog.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Events committed while this connection was away are read now.
                signal.Notify();
                backoff = Backoff.Start(FirstRetryMilliseconds, jitterMilliseconds: 0);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // The listener must outlive a database outage.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                var wait = backoff.Next();
                LogFailed(ex, wait.TotalSeconds);
                await Task.Delay(wait, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The image event listener lost its connection; reconnecting in {BackoffSeconds:F1} s (streams poll meanwhile)")]
    private partial void LogFailed(Exception exception, double backoffSeconds);
}
