using System.Diagnostics;
using Images.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Images.MigrationService;

/// <summary>
/// Applies the EF Core migrations once, then stops the host (NFR-5). A failure sets a non-zero exit
/// code, so an orchestrator never starts the Api or the Worker on a broken schema.
/// </summary>
internal sealed partial class MigrationWorker(
    IServiceProvider services,
    IHostApplicationLifetime lifetime,
    ILogger<MigrationWorker> logger) : BackgroundService
{
    public const string ActivitySourceName = "Images.MigrationService";
    private const int MaxAttempts = 15;
    private static readonly ActivitySource Source = new(ActivitySourceName);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var activity = Source.StartActivity("Migrating database", ActivityKind.Client);
        try
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ImagesDbContext>();
            await MigrateWithRetryAsync(db, stoppingToken);
            LogMigrated(string.Join(", ", await db.Database.GetAppliedMigrationsAsync(stoppingToken)));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            Environment.ExitCode = 1;
        }
#pragma warning disable CA1031 // Any failure ends the process with a non-zero exit code.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            activity?.AddException(ex);
            activity?.SetStatus(ActivityStatusCode.Error);
            LogFailed(ex);
            Environment.ExitCode = 1;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    private async Task MigrateWithRetryAsync(ImagesDbContext db, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var strategy = db.Database.CreateExecutionStrategy();
                await strategy.ExecuteAsync(() => db.Database.MigrateAsync(stoppingToken));
                return;
            }
            catch (NpgsqlException ex) when (ex.IsTransient && attempt < MaxAttempts)
            {
                // The database may still be starting (compose, Kubernetes): wait and try again.
                LogRetry(ex, attempt, MaxAttempts);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database migrated; applied migrations: {Migrations}")]
    private partial void LogMigrated(string migrations);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Database migration failed")]
    private partial void LogFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database not reachable (attempt {Attempt} of {MaxAttempts}); retrying")]
    private partial void LogRetry(Exception exception, int attempt, int maxAttempts);
}
