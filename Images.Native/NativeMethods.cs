using System.Reflection;
using System.Runtime.InteropServices;

namespace Images.Native;

/// <summary>The C entry points of libimages_native (see src/images_native.h).</summary>
internal static unsafe partial class NativeMethods
{
    public const string Library = "images_native";
    public const int ExpectedVersion = 8;
    public const int MaxRenditions = 8;
    public const int Outputs = 4;

    /// <summary>IN_RENDITIONS_PNG_ALWAYS: PNG of every source, alpha or not.</summary>
    public const int RenditionsPngAlways = 1;

    /// <summary>in_info: 40 bytes, the int64 at offset 24 (the C header asserts the same layout).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Info
    {
        public int Format;
        public int Width;
        public int Height;
        public int Channels;
        public int HasAlpha;
        public int Orientation;
        public long Memory;
        public int Frames;
    }

    /// <summary>in_request: 48 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Request
    {
        public int MaxSide;
        public int Quality;
        public int Output;
        public int Flags;
        public long MaxPixels;
        public long MaxMemory;
        public int MaxDimension;
        public int MaxScans;
        public int* Cancel;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Result
    {
        public byte* Data;
        public nuint Size;
        public int Width;
        public int Height;
    }

    /// <summary>in_renditions_request: 104 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct RenditionsRequest
    {
        public Request Limits;
        public int Count;
        public int Outputs;
        public fixed int Sides[MaxRenditions];
        public int WebpQuality;
        public int AvifQuality;
        public int AvifSpeed;
        public int Flags;
    }

    /// <summary>in_rendition: 104 bytes, arrays indexed by in_output.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Rendition
    {
        public fixed ulong Data[Outputs];
        public fixed ulong Size[Outputs];
        public fixed long EncodeNs[Outputs];
        public int Width;
        public int Height;
    }

    /// <summary>in_renditions: 872 bytes (ABI 7 added the insight sample at 856).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Renditions
    {
        public int Count;
        public int Icc;
        public int AvifStatus;
        public int Reserved;
        public long DecodeNs;
        public RenditionItems Items;
        public byte* Sample;
        public int SampleWidth;
        public int SampleHeight;
    }

    [System.Runtime.CompilerServices.InlineArray(MaxRenditions)]
    public struct RenditionItems
    {
        private Rendition _first;
    }

    [LibraryImport(Library, EntryPoint = "images_native_features")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory)]
    public static partial int Features(byte* text, nuint textSize);

    [LibraryImport(Library, EntryPoint = "images_native_renditions_plan_file", StringMarshalling = StringMarshalling.Utf8)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory)]
    public static partial int RenditionsPlanFile(string path, in RenditionsRequest request, out Info info, byte* error, nuint errorSize);

    [LibraryImport(Library, EntryPoint = "images_native_renditions_plan")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory)]
    public static partial int RenditionsPlan(byte* data, nuint size, in RenditionsRequest request, out Info info, byte* error, nuint errorSize);

    [LibraryImport(Library, EntryPoint = "images_native_renditions_file", StringMarshalling = StringMarshalling.Utf8)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory)]
    public static partial int RenditionsFile(string path, in RenditionsRequest request, out Info info, Renditions* result, byte* error, nuint errorSize);

    [LibraryImport(Library, EntryPoint = "images_native_renditions")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory)]
    public static partial int CreateRenditions(byte* data, nuint size, in RenditionsRequest request, out Info info, Renditions* result, byte* error, nuint errorSize);

    [LibraryImport(Library, EntryPoint = "images_native_renditions_free")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory)]
    public static partial void FreeRenditions(Renditions* result);

    [LibraryImport(Library, EntryPoint = "images_native_version")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory)]
    public static partial int Version();

    [LibraryImport(Library, EntryPoint = "images_native_probe_file", StringMarshalling = StringMarshalling.Utf8)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory)]
    public static partial int ProbeFile(string path, out Info info, byte* error, nuint errorSize);

    [LibraryImport(Library, EntryPoint = "images_native_plan_file", StringMarshalling = StringMarshalling.Utf8)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory)]
    public static partial int PlanFile(string path, in Request request, out Info info, byte* error, nuint errorSize);

    [LibraryImport(Library, EntryPoint = "images_native_plan")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory)]
    public static partial int Plan(byte* data, nuint size, in Request request, out Info info, byte* error, nuint errorSize);

    [LibraryImport(Library, EntryPoint = "images_native_thumbnail_file", StringMarshalling = StringMarshalling.Utf8)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory)]
    public static partial int ThumbnailFile(string path, in Request request, out Info info, out Result result, byte* error, nuint errorSize);

    [LibraryImport(Library, EntryPoint = "images_native_thumbnail")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory)]
    public static partial int Thumbnail(byte* data, nuint size, in Request request, out Info info, out Result result, byte* error, nuint errorSize);

    [LibraryImport(Library, EntryPoint = "images_native_free")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory)]
    public static partial void Free(byte* data);

    /// <summary>Looks for the library in runtimes/&lt;rid&gt;/native/ beside this assembly (the layout of a RID-less build or a package).</summary>
    public static void RegisterResolver() => NativeLibrary.SetDllImportResolver(typeof(NativeMethods).Assembly, Resolve);

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library)
        {
            return 0;
        }

        var directory = Path.GetDirectoryName(assembly.Location) ?? AppContext.BaseDirectory;
        foreach (var candidate in new[]
                 {
                     Path.Combine(directory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", "libimages_native.so"),
                     Path.Combine(directory, "runtimes", RuntimeInformation.RuntimeIdentifier.StartsWith("linux-arm64", StringComparison.Ordinal) ? "linux-arm64" : "linux-x64", "native", "libimages_native.so"),
                     Path.Combine(directory, "libimages_native.so"),
                 })
        {
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle))
            {
                return handle;
            }
        }

        return 0;
    }
}
