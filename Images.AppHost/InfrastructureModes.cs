using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace Images.AppHost;

/// <summary>Where PostgreSQL and Kafka come from (setting <c>Images:InfrastructureMode</c>).</summary>
public enum InfrastructureMode
{
    /// <summary>Containers when a container runtime answers, else local.</summary>
    Auto,

    /// <summary>PostgreSQL and Kafka containers (needs Docker or Podman).</summary>
    Containers,

    /// <summary>PostgreSQL from the machine's binaries and the in-memory development broker.</summary>
    Local,

    /// <summary>Existing servers from ConnectionStrings:imagesdb and ConnectionStrings:kafka.</summary>
    External,
}

public static class InfrastructureModes
{
    public const string Setting = "Images:InfrastructureMode";

    public static InfrastructureMode Resolve(IConfiguration configuration)
    {
        var value = configuration[Setting] ?? "auto";
        if (!Enum.TryParse<InfrastructureMode>(value, ignoreCase: true, out var mode))
        {
            throw new InvalidOperationException($"{Setting} must be auto, containers, local or external; got '{value}'.");
        }

        return mode == InfrastructureMode.Auto
            ? (ContainerRuntimeAnswers() ? InfrastructureMode.Containers : InfrastructureMode.Local)
            : mode;
    }

    /// <summary>Asks the container runtime (docker, else podman) whether its engine is up, within 5 seconds.</summary>
    private static bool ContainerRuntimeAnswers()
    {
        foreach (var runtime in new[] { "docker", "podman" })
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(runtime, "info")
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                });
                if (process is null)
                {
                    continue;
                }

                process.StandardOutput.ReadToEndAsync();
                process.StandardError.ReadToEndAsync();
                if (process.WaitForExit(TimeSpan.FromSeconds(5)) && process.ExitCode == 0)
                {
                    return true;
                }

                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed.
            }
        }

        return false;
    }
}
