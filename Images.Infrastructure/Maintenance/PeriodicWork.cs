using Microsoft.Extensions.DependencyInjection;

namespace Images.Infrastructure.Maintenance;

/// <summary>
/// Runs a piece of work in its own DI scope every <c>period</c> until shutdown; a failure is
/// reported and the work runs again on the next tick. Shared by the hosted services that poll.
/// </summary>
internal static class PeriodicWork
{
    public static async Task RunAsync(
        IServiceScopeFactory scopes,
        TimeProvider clock,
        TimeSpan period,
        bool runAtStart,
        Func<IServiceProvider, CancellationToken, Task> work,
        Action<Exception> onError,
        CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(period, clock);
        try
        {
            if (!runAtStart && !await timer.WaitForNextTickAsync(stoppingToken))
            {
                return;
            }

            do
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    await work(scope.ServiceProvider, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // Periodic work runs again on the next tick.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    onError(ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }
}
