using Images.Application.Common.Settings;

namespace Images.Infrastructure.Processing;

/// <summary>IMG_NATIVE_PROCESSING (default true): false forces the managed processor for every format (NFR-4).</summary>
public sealed class NativeProcessingOptions : IImgSettings<NativeProcessingOptions>
{
    public bool Enabled { get; set; } = true;

    public static void Bind(NativeProcessingOptions options, ImgSettingsReader reader) =>
        options.Enabled = reader.Bool("IMG_NATIVE_PROCESSING", options.Enabled);
}
