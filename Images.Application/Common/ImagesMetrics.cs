using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Images.Application.Common;

/// <summary>
/// Image metrics (FR-5.3), exported by OpenTelemetry to Prometheus as image_uploads_total,
/// image_processing_duration_seconds, image_time_to_thumbnail_seconds and images_currently_processing,
/// plus outcomes by status, and the renditions made (image_renditions_total,
/// image_rendition_encode_duration_seconds, image_rendition_bytes_total, by format).
/// </summary>
public sealed class ImagesMetrics : IDisposable
{
    public const string MeterName = "Images.Processing";

    private readonly Meter _meter;
    private readonly Counter<long> _uploads;
    private readonly Counter<long> _processed;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _sinceUpload;
    private readonly UpDownCounter<long> _inFlight;
    private readonly Counter<long> _orphans;
    private readonly Counter<long> _renditions;
    private readonly Histogram<double> _encode;
    private readonly Counter<long> _renditionBytes;

    public ImagesMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _uploads = _meter.CreateCounter<long>("image_uploads", description: "Images accepted by the upload endpoint.");
        _processed = _meter.CreateCounter<long>("image_processed", description: "Images processed, by outcome (completed or failed).");
        _duration = _meter.CreateHistogram<double>("image_processing_duration", unit: "s", description: "Time to decode an original and write its thumbnail.");
        _sinceUpload = _meter.CreateHistogram<double>("image_time_to_thumbnail", unit: "s", description: "Time from the upload to the image's outcome: waiting in the queue, then processing (the difference from image_processing_duration is the wait).");
        _inFlight = _meter.CreateUpDownCounter<long>("images_currently_processing", description: "Images being processed right now.");
        _orphans = _meter.CreateCounter<long>("storage_orphans_removed", description: "Files no row referenced, removed by reconciliation (kind: original, thumbnail, temporary).");
        _renditions = _meter.CreateCounter<long>("image_renditions", description: "Rendition files made at processing, by format (jpeg, webp, avif, png) (FR-8.2).");
        _encode = _meter.CreateHistogram<double>("image_rendition_encode_duration", unit: "s", description: "Time to encode one rendition file, by format.");
        _renditionBytes = _meter.CreateCounter<long>("image_rendition_bytes", unit: "By", description: "Bytes of rendition files made, by format.");
        _uploads.Add(0);
        _processed.Add(0);
        _inFlight.Add(0);
        _orphans.Add(0);
    }

    public void OrphansRemoved(string kind, int count)
    {
        if (count > 0)
        {
            _orphans.Add(count, new KeyValuePair<string, object?>("kind", kind));
        }
    }

    /// <summary>One rendition file made (FR-8.2): counted, timed and sized by format.</summary>
    public void RenditionEncoded(string format, TimeSpan encodeTime, long bytes)
    {
        var tag = new KeyValuePair<string, object?>("format", format);
        _renditions.Add(1, tag);
        _encode.Record(encodeTime.TotalSeconds, tag);
        _renditionBytes.Add(bytes, tag);
    }

    public void Uploaded(string format) => _uploads.Add(1, new KeyValuePair<string, object?>("format", format));

    public void Started() => _inFlight.Add(1);

    /// <summary>An image failed before any decode started: over a budget, or its attempts ran out.</summary>
    public void Failed(string format, string reason) =>
        _processed.Add(1, new TagList { { "status", "failed" }, { "format", format }, { "reason", reason } });

    /// <summary>An image processed, and by which engine (native or managed, NFR-4: dashboards and tests see which ran).</summary>
    public void Finished(string status, string format, string engine, TimeSpan elapsed, TimeSpan sinceUpload)
    {
        _inFlight.Add(-1);
        var tags = new TagList { { "status", status }, { "format", format }, { "engine", engine } };
        _processed.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
        _sinceUpload.Record(Math.Max(0, sinceUpload.TotalSeconds), tags);
    }

    public void Dispose() => _meter.Dispose();
}
