using Images.Application.Common.Settings;

namespace Images.Application.Common;

/// <summary>Retention (FR-4): IMG_RETENTION_*.</summary>
public sealed class RetentionOptions : IImgSettings<RetentionOptions>
{
    /// <summary>IMG_RETENTION_BATCH_SIZE (FR-4.3).</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>IMG_RETENTION_INTERVAL_SECONDS: scheduled sweep period; 0 disables the schedule (FR-4.5).</summary>
    public int IntervalSeconds { get; set; }

    public static void Bind(RetentionOptions options, ImgSettingsReader reader)
    {
        options.BatchSize = reader.Int("IMG_RETENTION_BATCH_SIZE", options.BatchSize, 1, 10_000);
        options.IntervalSeconds = reader.Int("IMG_RETENTION_INTERVAL_SECONDS", options.IntervalSeconds, 0, 604_800);
    }
}
