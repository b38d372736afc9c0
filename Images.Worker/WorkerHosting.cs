using Images.Application.Common.Settings;
using Images.Infrastructure.Messaging.Kafka;

namespace Images.Worker;

internal static class WorkerHosting
{
    /// <summary>
    /// Serves /metrics, /health and /alive on IMG_WORKER_METRICS_PORT (default 9090, FR-5.3),
    /// unless an orchestrator already chose the address (ASPNETCORE_URLS / HTTP_PORTS, as Aspire does).
    /// </summary>
    public static void ListenOnMetricsPort(this WebApplicationBuilder builder)
    {
        if (!string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]) ||
            !string.IsNullOrEmpty(builder.Configuration["URLS"]) ||
            !string.IsNullOrEmpty(builder.Configuration["HTTP_PORTS"]) ||
            !string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_HTTP_PORTS"]))
        {
            return;
        }

        builder.WebHost.UseUrls($"http://0.0.0.0:{ImgSettings.Read<BrokerOptions>(builder.Configuration).WorkerMetricsPort}");
    }
}
