using Images.Application.Common.Settings;

namespace Images.Application.Common;

/// <summary>Image insight (FR-9): IMG_EXPOSE_GPS.</summary>
public sealed class InsightOptions : IImgSettings<InsightOptions>
{
    /// <summary>IMG_EXPOSE_GPS (FR-9.3): show the EXIF position in the resource; off by default (privacy).</summary>
    public bool ExposeGps { get; set; }

    public static void Bind(InsightOptions options, ImgSettingsReader reader) =>
        options.ExposeGps = reader.Bool("IMG_EXPOSE_GPS", options.ExposeGps);
}
