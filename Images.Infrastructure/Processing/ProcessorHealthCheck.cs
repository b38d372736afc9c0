using Images.Native;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Processing;

/// <summary>Reports the active processing path on /health (degraded, not unhealthy, on the fallback).</summary>
public sealed class ProcessorHealthCheck(CompositeImageProcessor processor, IOptions<NativeProcessingOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(!options.Value.Enabled || NativeThumbnailer.IsAvailable
            ? HealthCheckResult.Healthy($"{processor.ActivePath}; renditions: {processor.RenditionFeatures}")
            : HealthCheckResult.Degraded($"{processor.ActivePath}: {NativeThumbnailer.Status}; renditions: {processor.RenditionFeatures}"));
}
