using Images.Application.Webhooks;
using Images.Application.Webhooks.Dispatch;
using Images.Infrastructure.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Webhooks;

/// <summary>
/// The Api's webhook dispatcher (FR-10.2, ADR 13): runs <see cref="DispatchWebhooksHandler"/> while
/// a round finds a full batch, then waits for an event of this process or the poll interval (events
/// written by Workers and other replicas are found by the poll). Replicas split the work with SKIP
/// LOCKED. A database outage is waited out with a growing pause.
/// </summary>
public sealed partial class WebhookDispatcher(
    IServiceScopeFactory scopes,
    WebhookSignal signal,
    IOptions<WebhookOptions> options,
    TimeProvider clock,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    /// <summary>The first wait after a failed pass; it doubles up to 30 s.</summary>
    private const int FirstRetryMilliseconds = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var settings = options.Value;
        var backoff = Backoff.Start(FirstRetryMilliseconds, jitterMilliseconds: 0);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                int taken;
                await using (var scope = scopes.CreateAsyncScope())
                {
                    taken = await scope.ServiceProvider.GetRequiredService<DispatchWebhooksHandler>().HandleAsync(stoppingToken);
                }

                backoff = Backoff.Start(FirstRetryMilliseconds, jitterMilliseconds: 0);
                if (taken < settings.Concurrency)
                {
                    await signal.WaitAsync(TimeSpan.FromMilliseconds(settings.PollIntervalMilliseconds), stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // The dispatcher must outlive a database outage.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                var wait = backoff.Next();
                LogFailed(ex, wait.TotalSeconds);
                await Task.Delay(wait, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook dispatcher failed; retrying in {BackoffSeconds:F1} s")]
    private partial void LogFailed(Exception exception, double backoffSeconds);
}
