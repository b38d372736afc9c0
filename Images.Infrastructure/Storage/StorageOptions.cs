using Images.Application.Common.Settings;

namespace Images.Infrastructure.Storage;

/// <summary>
/// IMG_STORAGE_BACKEND (FR-11.1): <c>filesystem</c> (the default) or <c>s3</c>; and
/// IMG_STORAGE_BASE_DIR, the root of originals, thumbnails and temporary uploads on the file system
/// (one folder shared by every replica). The S3 store's settings are <see cref="S3StorageOptions"/>.
/// </summary>
public sealed class StorageOptions : IImgSettings<StorageOptions>
{
    public const string FileSystem = "filesystem";
    public const string S3 = "s3";

    public string Backend { get; set; } = FileSystem;

    public string BaseDirectory { get; set; } = "/data/images";

    public static void Bind(StorageOptions options, ImgSettingsReader reader)
    {
        options.Backend = reader.OneOf("IMG_STORAGE_BACKEND", options.Backend, FileSystem, S3);
        options.BaseDirectory = reader.String("IMG_STORAGE_BASE_DIR", options.BaseDirectory);
    }
}
