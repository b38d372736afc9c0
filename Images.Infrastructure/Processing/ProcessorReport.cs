using Images.Native;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Processing;

/// <summary>Says once at start-up which processing path is active, and why (NFR-4).</summary>
public sealed partial class ProcessorReport(CompositeImageProcessor processor, IOptions<NativeProcessingOptions> options, ILogger<ProcessorReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
        {
            LogForcedManaged();
        }
        else if (NativeThumbnailer.IsAvailable)
        {
            LogNative(processor.ActivePath, NativeThumbnailer.Status);
            if (processor.AvifAvailable)
            {
                LogRenditions(processor.RenditionFeatures);
            }
            else
            {
                LogAvifUnavailable(processor.RenditionFeatures);
            }

            // FR-8.6: HEIC and AVIF uploads need libheif and libavif's decoder (opened at run time).
            var features = NativeRenditionMaker.Features;
            if (!features.HasFlag(NativeFeatures.HeicInput))
            {
                LogInputUnavailable("HEIC", "libheif", processor.RenditionFeatures);
            }

            if (!features.HasFlag(NativeFeatures.AvifInput))
            {
                LogInputUnavailable("AVIF", "libavif", processor.RenditionFeatures);
            }
        }
        else
        {
            LogFallback(NativeThumbnailer.Status);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Image processing: {Path} ({Status})")]
    private partial void LogNative(string path, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Renditions: {Features}")]
    private partial void LogRenditions(string features);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renditions: AVIF unavailable, renditions are made as JPEG, WebP and PNG only and ?format=avif is answered 406 ({Features})")]
    private partial void LogAvifUnavailable(string features);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image input: {Format} decoding unavailable ({Library} missing): {Format} uploads are accepted and then failed with that reason ({Features})")]
    private partial void LogInputUnavailable(string format, string library, string features);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image processing: the native fast path is unavailable ({Reason}); using the managed processor (ImageSharp) for every format")]
    private partial void LogFallback(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Image processing: IMG_NATIVE_PROCESSING=false, using the managed processor (ImageSharp) for every format")]
    private partial void LogForcedManaged();
}
