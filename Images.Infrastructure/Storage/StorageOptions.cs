using Images.Application.Common.Settings;

namespace Images.Infrastructure.Storage;

/// <summary>IMG_STORAGE_BASE_DIR: root of originals, thumbnails and temporary uploads (shared by every replica).</summary>
public sealed class StorageOptions : IImgSettings<StorageOptions>
{
    public string BaseDirectory { get; set; } = "/data/images";

    public static void Bind(StorageOptions options, ImgSettingsReader reader) =>
        options.BaseDirectory = reader.String("IMG_STORAGE_BASE_DIR", options.BaseDirectory);
}
