namespace Images.Application.Images.Process;

/// <summary>A lease holder: this process, and one value per attempt, so a renewal never extends another attempt's claim.</summary>
public static class LeaseHolders
{
    private static readonly string Process = $"{Environment.MachineName}/{Environment.ProcessId}";

    public static string New() => $"{Process}/{Guid.NewGuid():N}";
}
