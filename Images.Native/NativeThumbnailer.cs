using System.Runtime.InteropServices;
using System.Text;

namespace Images.Native;

public enum NativeStatus
{
    Ok = 0,
    Unsupported = 1,
    Invalid = 2,

    /// <summary>Over the pixel limit or the largest-side limit (decided on the header).</summary>
    TooLarge = 3,
    NoMemory = 4,
    Io = 5,

    /// <summary>The cancellation token fired during the decode; everything the decode held is freed.</summary>
    Cancelled = 6,

    /// <summary>The decode would need more working memory than <see cref="NativeThumbnailRequest.MaxMemoryBytes"/> (decided on the header).</summary>
    OverBudget = 7,
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

    /// <summary>Read every PNG's image data through libpng's row reader, also the 8-bit RGB and RGBA files the library's own IDAT reader takes (the rows are the same).</summary>
    LibpngOnly = 4,

    /// <summary>Stream the image data of the PNGs the library's own IDAT reader takes through zlib, row by row, also those it would inflate whole with libdeflate.</summary>
    PngStreamed = 8,

    /// <summary>A PNG stream the library inflates whole that libdeflate will not take is an error rather than handed to the streamed reader (tests: the whole path really ran).</summary>
    PngWholeOnly = 16,
}

/// <summary>
/// One thumbnail to make, with the budget it must fit (NFR-8), all checked on the header before
/// anything large is allocated.
/// </summary>
/// <param name="MaxSide">Longest side of the thumbnail; never upscaled.</param>
/// <param name="Quality">Encoder quality, 1..100.</param>
/// <param name="MaxPixels">Decompression-bomb limit on width x height.</param>
/// <param name="MaxMemoryBytes">Working-memory budget of the decode in bytes; 0 = no limit.</param>
/// <param name="MaxDimension">Largest width or height accepted; 0 = no limit (libpng's own 1,000,000 still applies to PNG).</param>
/// <param name="Output">Encoded format of the thumbnail.</param>
/// <param name="Options">Decoding variants for tests and measurements.</param>
/// <param name="MaxScans">Most scans accepted in a progressive JPEG; 0 = the library's default of 500.</param>
public sealed record NativeThumbnailRequest(
    int MaxSide,
    int Quality,
    long MaxPixels,
    long MaxMemoryBytes,
    int MaxDimension,
    NativeOutput Output = NativeOutput.Jpeg,
    NativeDecodeOptions Options = NativeDecodeOptions.None,
    int MaxScans = 0);

/// <summary>What the library learnt about a source image.</summary>
/// <param name="Frames">Frames or pages in the container (1 for a still image); only the first is decoded.</param>
/// <param name="MemoryBytes">Estimated working memory of the decode the request runs (0 after a bare <see cref="NativeThumbnailer.Probe"/>).</param>
public sealed record NativeImageInfo(string Format, int Width, int Height, int Channels, bool HasAlpha, int Orientation, int Frames, long MemoryBytes);

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

    /// <summary>Header-only: format, size, channels, orientation, frames.</summary>
    public static NativeImageInfo Probe(string path)
    {
        EnsureAvailable();
        var error = stackalloc byte[ErrorSize];
        var status = (NativeStatus)NativeMethods.ProbeFile(path, out var info, error, ErrorSize);
        Check(status, error);
        return ToInfo(info);
    }

    /// <summary>
    /// Everything <see cref="CreateThumbnail(string, NativeThumbnailRequest, CancellationToken)"/>
    /// checks before it decodes (the probe, the largest side, the pixel count, the working memory
    /// of the decode it would run), without decoding: <see cref="NativeImageInfo.MemoryBytes"/> is
    /// the figure to reserve. Throws <see cref="NativeImageException"/> (Unsupported, Invalid,
    /// TooLarge, OverBudget) as the thumbnail call would.
    /// </summary>
    public static NativeImageInfo Plan(string path, NativeThumbnailRequest request)
    {
        var native = ToNative(request, null);
        var error = stackalloc byte[ErrorSize];
        var status = (NativeStatus)NativeMethods.PlanFile(path, native, out var info, error, ErrorSize);
        Check(status, error);
        return ToInfo(info);
    }

    /// <inheritdoc cref="Plan(string, NativeThumbnailRequest)"/>
    public static NativeImageInfo Plan(ReadOnlySpan<byte> data, NativeThumbnailRequest request)
    {
        var native = ToNative(request, null);
        var error = stackalloc byte[ErrorSize];
        fixed (byte* bytes = data)
        {
            var status = (NativeStatus)NativeMethods.Plan(bytes, (nuint)data.Length, native, out var info, error, ErrorSize);
            Check(status, error);
            return ToInfo(info);
        }
    }

    /// <summary>
    /// Decodes (the first frame of) the file at <paramref name="path"/> within the request's budget
    /// and encodes its thumbnail. The token stops a decode in progress (per row, scan or chunk of
    /// input): <see cref="NativeImageException"/> with <see cref="NativeStatus.Cancelled"/>.
    /// </summary>
    public static NativeThumbnail CreateThumbnail(string path, NativeThumbnailRequest request, CancellationToken cancellationToken = default)
    {
        using var flag = new CancelFlag(cancellationToken);
        var native = ToNative(request, flag.Pointer);
        var error = stackalloc byte[ErrorSize];
        var status = (NativeStatus)NativeMethods.ThumbnailFile(path, native, out var info, out var result, error, ErrorSize);
        return Complete(status, error, info, result);
    }

    /// <inheritdoc cref="CreateThumbnail(string, NativeThumbnailRequest, CancellationToken)"/>
    public static NativeThumbnail CreateThumbnail(ReadOnlySpan<byte> data, NativeThumbnailRequest request, CancellationToken cancellationToken = default)
    {
        using var flag = new CancelFlag(cancellationToken);
        var native = ToNative(request, flag.Pointer);
        var error = stackalloc byte[ErrorSize];
        fixed (byte* bytes = data)
        {
            var status = (NativeStatus)NativeMethods.Thumbnail(bytes, (nuint)data.Length, native, out var info, out var result, error, ErrorSize);
            return Complete(status, error, info, result);
        }
    }

    internal static NativeMethods.Request ToNative(NativeThumbnailRequest request, int* cancel)
    {
        ArgumentNullException.ThrowIfNull(request);
        EnsureAvailable();
        return new NativeMethods.Request
        {
            MaxSide = request.MaxSide,
            Quality = request.Quality,
            Output = (int)request.Output,
            Flags = (int)request.Options,
            MaxPixels = request.MaxPixels,
            MaxMemory = request.MaxMemoryBytes,
            MaxDimension = request.MaxDimension,
            MaxScans = request.MaxScans,
            Cancel = cancel,
        };
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

    internal static NativeImageInfo ToInfo(NativeMethods.Info info) => new(
        info.Format switch { 1 => "JPEG", 2 => "PNG", 3 => "WEBP", 4 => "TIFF", 5 => "GIF", 6 => "HEIC", 7 => "AVIF", _ => "UNKNOWN" },
        info.Width,
        info.Height,
        info.Channels,
        info.HasAlpha != 0,
        info.Orientation,
        info.Frames,
        info.Memory);

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
            // The codecs are linked into the library (ADR 8): what can be missing is the library
            // itself, or a glibc older than the one it was built against.
            return (false, "libimages_native is missing or cannot be loaded (it needs glibc 2.34 or later and nothing else): " + ex.Message);
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

    /// <summary>
    /// The int the library reads as request->cancel: native memory (it must not move while the
    /// decode runs), set to 1 from the token's callback. Disposing unregisters first, which waits
    /// for a callback in flight, so nothing writes to the int after it is freed.
    /// </summary>
    internal readonly struct CancelFlag : IDisposable
    {
        private readonly CancellationTokenRegistration registration;

        public CancelFlag(CancellationToken cancellationToken)
        {
            if (!cancellationToken.CanBeCanceled)
            {
                Pointer = null;
                registration = default;
                return;
            }

            Pointer = (int*)NativeMemory.AllocZeroed(sizeof(int));
            registration = cancellationToken.Register(static state => Volatile.Write(ref *(int*)(nint)state!, 1), (nint)Pointer);
        }

        public int* Pointer { get; }

        public void Dispose()
        {
            registration.Dispose();
            if (Pointer != null)
            {
                NativeMemory.Free(Pointer);
            }
        }
    }
}
