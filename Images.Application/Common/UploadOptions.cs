using Images.Application.Common.Settings;

namespace Images.Application.Common;

/// <summary>Uploads (FR-1.2): IMG_MAX_UPLOAD_BYTES.</summary>
public sealed class UploadOptions : IImgSettings<UploadOptions>
{
    /// <summary>IMG_MAX_UPLOAD_BYTES: the largest file accepted, 50 MB by default.</summary>
    public long MaxUploadBytes { get; set; } = 50L * 1024 * 1024;

    public static void Bind(UploadOptions options, ImgSettingsReader reader) =>
        options.MaxUploadBytes = reader.Long("IMG_MAX_UPLOAD_BYTES", options.MaxUploadBytes, 1, 10L * 1024 * 1024 * 1024);
}
