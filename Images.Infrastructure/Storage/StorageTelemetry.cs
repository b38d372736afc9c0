using System.Diagnostics;
using System.Diagnostics.Metrics;
using Images.Application.Common;

namespace Images.Infrastructure.Storage;

/// <summary>
/// Blob store metrics (FR-5.3), the same on both backends, exported to Prometheus as
/// <c>blob_store_operation_duration_seconds</c> (by backend, operation and outcome),
/// <c>blob_store_operation_errors_total</c> (by backend and operation) and
/// <c>blob_store_bytes_stored_total</c> (by backend and kind: original, thumbnail, derived).
/// </summary>
public sealed class StorageTelemetry : IDisposable
{
    public const string MeterName = "Images.Storage";

    private readonly Meter _meter;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _bytes;

    public StorageTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _duration = _meter.CreateHistogram<double>("blob_store_operation_duration", unit: "s", description: "Time of one blob store operation (stage, place, open, write_thumbnail, delete, list...), by backend and outcome.");
        _errors = _meter.CreateCounter<long>("blob_store_operation_errors", description: "Blob store operations that failed because of the store (unreachable, slow, full), by backend and operation.");
        _bytes = _meter.CreateCounter<long>("blob_store_bytes_stored", description: "Bytes written to the blob store, by backend and kind (original, thumbnail, derived); identical originals are counted once.");
        _errors.Add(0);
        _bytes.Add(0);
    }

    public async Task<T> MeasureAsync<T>(string backend, string operation, Func<Task<T>> body)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "error";
        try
        {
            var result = await body();
            outcome = "ok";
            return result;
        }
        catch (Exception ex) when (!IsTheStores(ex))
        {
            outcome = "other";
            throw;
        }
        catch
        {
            _errors.Add(1, new TagList { { "backend", backend }, { "operation", operation } });
            throw;
        }
        finally
        {
            _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new TagList { { "backend", backend }, { "operation", operation }, { "outcome", outcome } });
        }
    }

    public async Task MeasureAsync(string backend, string operation, Func<Task> body) =>
        await MeasureAsync(backend, operation, async () =>
        {
            await body();
            return true;
        });

    public void Stored(string backend, string kind, long bytes) =>
        _bytes.Add(bytes, new TagList { { "backend", backend }, { "kind", kind } });

    public void Dispose() => _meter.Dispose();

    /// <summary>A cancelled call, an upload over its limit or a failing thumbnail encoder are not faults of the store.</summary>
    private static bool IsTheStores(Exception ex) =>
        ex is not (OperationCanceledException or PayloadTooLargeException) && (ex is StorageUnavailableException or IOException or UnauthorizedAccessException);
}
