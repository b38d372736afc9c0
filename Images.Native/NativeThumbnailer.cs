using System.Runtime.InteropServices;
using System.Text;

namespace Images.Native;

public enum NativeStatus
{
    Ok = 0,
    Unsupported = 1,
    Invalid = 2,
    TooLarge = 3,
    NoMemory = 4,
    Io = 5,
}

public enum NativeOutput
{
    Jpeg = 0,
    Webp = 1,
}

/// <summary>How the library decodes; <see cref="None"/> is what the service uses.</summary>
[Flags]
public enum NativeDecodeOptions
{
    None = 0,

    /// <summary>Decode every scan of a progressive JPEG even at 1/8 scale, where leaving out the AC scans that scale does not read gives the same pixels.</summary>
    FullDecode = 1,

    /// <summary>At 1/8 scale, let libjpeg decode a progressive JPEG's DC scans rather than the library's own DC decoder.</summary>
    LibjpegOnly = 2,
}

/// <summary>What the library learnt about a source image.</summary>
public sealed record NativeImageInfo(string Format, int Width, int Height, int Channels, bool HasAlpha, int Orientation);

/// <summary>An encoded thumbnail and its size after orientation.</summary>
public sealed record NativeThumbnail(byte[] Data, int Width, int Height, NativeImageInfo Source);

/// <summary>A failure of the native path: <see cref="Status"/> says whether to fall back (Unsupported) or fail the image.</summary>
public sealed class NativeImageException(NativeStatus status, string message) : Exception(message)
{
    public NativeStatus Status { get; } = status;
}

/// <summary>
/// The managed face of libimages_native: loads it once, checks its version, and turns its status
/// codes into results or <see cref="NativeImageException"/>.
/// </summary>
public static unsafe class NativeThumbnailer
{
    private const int ErrorSize = 512;
    private static readonly Lazy<(bool Available, string Reason)> State = new(Load);

    /// <summary>Whether the library loaded and has the expected version.</summary>
    public static bool IsAvailable => State.Value.Available;

    /// <summary>Why it is or is not available (for the start-up log line and the health check).</summary>
    public static string Status => State.Value.Reason;

    public static NativeImageInfo Probe(string path)
    {
        EnsureAvailable();
        var error = stackalloc byte[ErrorSize];
        var status = (NativeStatus)NativeMethods.ProbeFile(path, out var info, error, ErrorSize);
        Check(status, error);
        return ToInfo(info);
    }

    public static NativeThumbnail CreateThumbnail(string path, int maxSide, int quality, long maxPixels, NativeOutput output = NativeOutput.Jpeg, NativeDecodeOptions options = NativeDecodeOptions.None)
    {
        var request = Request(maxSide, quality, maxPixels, output, options);
        var error = stackalloc byte[ErrorSize];
        var status = (NativeStatus)NativeMethods.ThumbnailFile(path, request, out var info, out var result, error, ErrorSize);
        return Complete(status, error, info, result);
    }

    public static NativeThumbnail CreateThumbnail(ReadOnlySpan<byte> data, int maxSide, int quality, long maxPixels, NativeOutput output = NativeOutput.Jpeg, NativeDecodeOptions options = NativeDecodeOptions.None)
    {
        var request = Request(maxSide, quality, maxPixels, output, options);
        var error = stackalloc byte[ErrorSize];
        fixed (byte* bytes = data)
        {
            var status = (NativeStatus)NativeMethods.Thumbnail(bytes, (nuint)data.Length, request, out var info, out var result, error, ErrorSize);
            return Complete(status, error, info, result);
        }
    }

    private static NativeMethods.Request Request(int maxSide, int quality, long maxPixels, NativeOutput output, NativeDecodeOptions options)
    {
        EnsureAvailable();
        return new NativeMethods.Request { MaxSide = maxSide, Quality = quality, Output = (int)output, Flags = (int)options, MaxPixels = maxPixels };
    }

    private static NativeThumbnail Complete(NativeStatus status, byte* error, NativeMethods.Info info, NativeMethods.Result result)
    {
        try
        {
            Check(status, error);
            return new NativeThumbnail(new ReadOnlySpan<byte>(result.Data, checked((int)result.Size)).ToArray(), result.Width, result.Height, ToInfo(info));
        }
        finally
        {
            if (result.Data != null)
            {
                NativeMethods.Free(result.Data);
            }
        }
    }

    private static void Check(NativeStatus status, byte* error)
    {
        if (status != NativeStatus.Ok)
        {
            throw new NativeImageException(status, Marshal.PtrToStringUTF8((nint)error) is { Length: > 0 } message ? message : status.ToString());
        }
    }

    private static NativeImageInfo ToInfo(NativeMethods.Info info) => new(
        info.Format switch { 1 => "JPEG", 2 => "PNG", 3 => "WEBP", _ => "UNKNOWN" },
        info.Width,
        info.Height,
        info.Channels,
        info.HasAlpha != 0,
        info.Orientation);

    private static void EnsureAvailable()
    {
        if (!IsAvailable)
        {
            throw new NativeImageException(NativeStatus.Unsupported, Status);
        }
    }

    private static (bool, string) Load()
    {
        try
        {
            NativeMethods.RegisterResolver();
            var version = NativeMethods.Version();
            return version == NativeMethods.ExpectedVersion
                ? (true, $"libimages_native version {version} loaded")
                : (false, $"libimages_native version {version} found, version {NativeMethods.ExpectedVersion} expected");
        }
        catch (DllNotFoundException ex)
        {
            return (false, "libimages_native or one of its dependencies (libjpeg62-turbo, libpng16-16, libwebp7) is missing: " + ex.Message);
        }
        catch (EntryPointNotFoundException ex)
        {
            return (false, "libimages_native has no version handshake: " + ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            return (false, "libimages_native could not be loaded: " + ex.Message);
        }
    }
}
