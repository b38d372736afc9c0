using System.Runtime.InteropServices;

namespace Images.Native;

/// <summary>The encoded formats of a rendition, as the library numbers them (enum in_output).</summary>
public enum NativeRenditionFormat
{
    Jpeg = 0,
    Webp = 1,
    Png = 2,
    Avif = 3,
}

/// <summary>What happened to an embedded ICC profile (enum in_icc).</summary>
public enum NativeColour
{
    /// <summary>No profile: the pixels are taken as sRGB.</summary>
    None = 0,

    /// <summary>An sRGB profile: nothing to convert.</summary>
    Srgb = 1,

    /// <summary>Converted to sRGB with lcms2.</summary>
    Converted = 2,

    /// <summary>A profile, but lcms2 could not be loaded: colours as stored.</summary>
    Unavailable = 3,

    /// <summary>A profile lcms2 cannot read, or a grey or CMYK one: colours as stored.</summary>
    Ignored = 4,
}

/// <summary>Optional libraries the library opens at run time (ADR 12).</summary>
[Flags]
public enum NativeFeatures
{
    None = 0,

    /// <summary>libavif with an AV1 encoder: AVIF renditions.</summary>
    Avif = 1,

    /// <summary>lcms2: ICC profiles converted to sRGB.</summary>
    Icc = 2,

    /// <summary>libheif with an HEVC decoder: HEIC/HEIF input (ABI 6, FR-8.6).</summary>
    HeicInput = 4,

    /// <summary>libavif with an AV1 decoder: AVIF input (ABI 6, FR-8.6).</summary>
    AvifInput = 8,
}

/// <summary>
/// Renditions of one image, from one decode (FR-8.1): the longest side of each, the formats made
/// of every one (PNG only for sources with alpha), the encoders' settings, and the budget as for a
/// thumbnail (<see cref="NativeThumbnailRequest"/>: its MaxSide and Output are not read).
/// <paramref name="PngAlways"/>: PNG of every source, alpha or not (the lossless reference for
/// benchmarks and tests).
/// </summary>
public sealed record NativeRenditionsRequest(
    IReadOnlyList<int> Sides,
    IReadOnlyCollection<NativeRenditionFormat> Formats,
    NativeThumbnailRequest Limits,
    int WebpQuality = 80,
    int AvifQuality = 60,
    int AvifSpeed = 8,
    bool PngAlways = false);

/// <summary>One size and its encoded files (after orientation), with each encoder's wall time.</summary>
public sealed record NativeRendition(int Width, int Height, IReadOnlyDictionary<NativeRenditionFormat, byte[]> Files, IReadOnlyDictionary<NativeRenditionFormat, TimeSpan> EncodeTimes);

/// <summary>The insight sample (ABI 7): RGBA, at most 100 px on its longest side, in display orientation and sRGB.</summary>
public sealed record NativeSample(int Width, int Height, byte[] Rgba);

/// <summary>The renditions in the request's order; <see cref="AvifMissing"/> when AVIF was asked and libavif is absent.</summary>
public sealed record NativeRenditionSet(IReadOnlyList<NativeRendition> Renditions, NativeImageInfo Source, NativeColour Colour, bool AvifMissing, TimeSpan DecodeTime)
{
    /// <summary>FR-9.1/FR-9.2: the small image the placeholder, dominant colour and perceptual hash are computed from.</summary>
    public NativeSample? Sample { get; init; }
}

public static unsafe partial class NativeRenditionMaker
{
    private const int ErrorSize = 512;
    private static readonly Lazy<(NativeFeatures Features, string Text)> FeatureState = new(LoadFeatures);

    /// <summary>Which optional libraries loaded (AVIF, ICC), and what they are or why not (for /health and the log).</summary>
    public static NativeFeatures Features => NativeThumbnailer.IsAvailable ? FeatureState.Value.Features : NativeFeatures.None;

    public static string FeatureStatus => NativeThumbnailer.IsAvailable ? FeatureState.Value.Text : NativeThumbnailer.Status;

    /// <summary>Every check <see cref="Create(string, NativeRenditionsRequest, CancellationToken)"/> makes before it decodes; <see cref="NativeImageInfo.MemoryBytes"/> covers the decode and every encoding.</summary>
    public static NativeImageInfo Plan(string path, NativeRenditionsRequest request)
    {
        var native = ToNative(request, null);
        var error = stackalloc byte[ErrorSize];
        var status = (NativeStatus)NativeMethods.RenditionsPlanFile(path, native, out var info, error, ErrorSize);
        Check(status, error);
        return NativeThumbnailer.ToInfo(info);
    }

    /// <inheritdoc cref="Plan(string, NativeRenditionsRequest)"/>
    public static NativeImageInfo Plan(ReadOnlySpan<byte> data, NativeRenditionsRequest request)
    {
        var native = ToNative(request, null);
        var error = stackalloc byte[ErrorSize];
        fixed (byte* bytes = data)
        {
            var status = (NativeStatus)NativeMethods.RenditionsPlan(bytes, (nuint)data.Length, native, out var info, error, ErrorSize);
            Check(status, error);
            return NativeThumbnailer.ToInfo(info);
        }
    }

    /// <summary>Decodes the file once and encodes every rendition; the token stops it (<see cref="NativeStatus.Cancelled"/>).</summary>
    public static NativeRenditionSet Create(string path, NativeRenditionsRequest request, CancellationToken cancellationToken = default)
    {
        using var flag = new NativeThumbnailer.CancelFlag(cancellationToken);
        var native = ToNative(request, flag.Pointer);
        var error = stackalloc byte[ErrorSize];
        NativeMethods.Renditions result;
        var status = (NativeStatus)NativeMethods.RenditionsFile(path, native, out var info, &result, error, ErrorSize);
        return Complete(status, error, info, &result);
    }

    /// <inheritdoc cref="Create(string, NativeRenditionsRequest, CancellationToken)"/>
    public static NativeRenditionSet Create(ReadOnlySpan<byte> data, NativeRenditionsRequest request, CancellationToken cancellationToken = default)
    {
        using var flag = new NativeThumbnailer.CancelFlag(cancellationToken);
        var native = ToNative(request, flag.Pointer);
        var error = stackalloc byte[ErrorSize];
        NativeMethods.Renditions result;
        fixed (byte* bytes = data)
        {
            var status = (NativeStatus)NativeMethods.CreateRenditions(bytes, (nuint)data.Length, native, out var info, &result, error, ErrorSize);
            return Complete(status, error, info, &result);
        }
    }

    private static NativeRenditionSet Complete(NativeStatus status, byte* error, NativeMethods.Info info, NativeMethods.Renditions* result)
    {
        try
        {
            Check(status, error);
            var renditions = new List<NativeRendition>(result->Count);
            for (var i = 0; i < result->Count; i++)
            {
                ref var item = ref result->Items[i];
                var files = new Dictionary<NativeRenditionFormat, byte[]>();
                var times = new Dictionary<NativeRenditionFormat, TimeSpan>();
                for (var o = 0; o < NativeMethods.Outputs; o++)
                {
                    if (item.Data[o] != 0)
                    {
                        files[(NativeRenditionFormat)o] = new ReadOnlySpan<byte>((void*)item.Data[o], checked((int)item.Size[o])).ToArray();
                        times[(NativeRenditionFormat)o] = TimeSpan.FromTicks(item.EncodeNs[o] / 100);
                    }
                }

                renditions.Add(new NativeRendition(item.Width, item.Height, files, times));
            }

            NativeSample? sample = null;
            if (result->Sample != null && result->SampleWidth is > 0 and <= 100 && result->SampleHeight is > 0 and <= 100)
            {
                sample = new NativeSample(result->SampleWidth, result->SampleHeight,
                    new ReadOnlySpan<byte>(result->Sample, result->SampleWidth * result->SampleHeight * 4).ToArray());
            }

            return new NativeRenditionSet(renditions, NativeThumbnailer.ToInfo(info), (NativeColour)result->Icc, result->AvifStatus != 0,
                TimeSpan.FromTicks(result->DecodeNs / 100)) { Sample = sample };
        }
        finally
        {
            NativeMethods.FreeRenditions(result);
        }
    }

    private static NativeMethods.RenditionsRequest ToNative(NativeRenditionsRequest request, int* cancel)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Sides.Count is < 1 or > NativeMethods.MaxRenditions)
        {
            throw new ArgumentException($"1 to {NativeMethods.MaxRenditions} renditions.", nameof(request));
        }

        var native = new NativeMethods.RenditionsRequest
        {
            Limits = NativeThumbnailer.ToNative(request.Limits, cancel),
            Count = request.Sides.Count,
            Outputs = request.Formats.Aggregate(0, (bits, f) => bits | (1 << (int)f)),
            WebpQuality = request.WebpQuality,
            AvifQuality = request.AvifQuality,
            AvifSpeed = request.AvifSpeed,
            Flags = request.PngAlways ? NativeMethods.RenditionsPngAlways : 0,
        };
        for (var i = 0; i < request.Sides.Count; i++)
        {
            native.Sides[i] = request.Sides[i];
        }

        return native;
    }

    private static void Check(NativeStatus status, byte* error)
    {
        if (status != NativeStatus.Ok)
        {
            throw new NativeImageException(status, Marshal.PtrToStringUTF8((nint)error) is { Length: > 0 } message ? message : status.ToString());
        }
    }

    private static (NativeFeatures, string) LoadFeatures()
    {
        var text = stackalloc byte[1024];
        var features = (NativeFeatures)NativeMethods.Features(text, 1024);
        return (features, Marshal.PtrToStringUTF8((nint)text) ?? string.Empty);
    }
}
