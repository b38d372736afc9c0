namespace Images.Tests.Support;

/// <summary>
/// The process's peak resident set size (VmHWM), which Linux lets a process reset (writing 5 to
/// /proc/self/clear_refs): reset it before a call, read it after, and the difference is how far the
/// call pushed memory up (other threads' allocations included, so measure in tests that run alone).
/// </summary>
public static class PeakRss
{
    /// <summary>Resets the peak to the current RSS and returns that RSS in bytes.</summary>
    public static long Reset()
    {
        File.WriteAllText("/proc/self/clear_refs", "5");
        return Read("VmRSS:");
    }

    /// <summary>The peak RSS since the last reset, in bytes.</summary>
    public static long Peak() => Read("VmHWM:");

    private static long Read(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
