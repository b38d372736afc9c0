namespace Images.Tests.Support;

/// <summary>
/// A process's peak resident set size (VmHWM), which Linux lets one reset (writing 5 to
/// /proc/&lt;pid&gt;/clear_refs): reset it before a call, read it after, and the difference is how far
/// the call pushed memory up (other threads' allocations included, so measure in tests that run
/// alone). Without a pid, this process.
/// </summary>
public static class PeakRss
{
    /// <summary>Resets the peak to the current RSS and returns that RSS in bytes.</summary>
    public static long Reset(int? pid = null)
    {
        File.WriteAllText($"/proc/{Id(pid)}/clear_refs", "5");
        return Read(pid, "VmRSS:");
    }

    /// <summary>The peak RSS since the last reset (or the start), in bytes.</summary>
    public static long Peak(int? pid = null) => Read(pid, "VmHWM:");

    private static string Id(int? pid) => pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "self";

    private static long Read(int? pid, string field)
    {
        var line = File.ReadLines($"/proc/{Id(pid)}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
