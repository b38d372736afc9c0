using Images.Application.Common.Settings;

namespace Images.Application.Common;

/// <summary>Reconciliation of storage with the database (NFR-9): IMG_RECONCILE_INTERVAL_SECONDS, IMG_ORPHAN_GRACE_SECONDS.</summary>
public sealed class ReconciliationOptions : IImgSettings<ReconciliationOptions>
{
    /// <summary>
    /// IMG_RECONCILE_INTERVAL_SECONDS: how often orphan originals, thumbnails and temporary files are
    /// looked for and removed; 0 disables it.
    /// </summary>
    public int IntervalSeconds { get; set; } = 3600;

    /// <summary>
    /// IMG_ORPHAN_GRACE_SECONDS: a file no row references is removed only once it is this old, so an
    /// upload between writing its blob and committing its row is never touched.
    /// </summary>
    public int OrphanGraceSeconds { get; set; } = 3600;

    public static void Bind(ReconciliationOptions options, ImgSettingsReader reader)
    {
        options.IntervalSeconds = reader.Int("IMG_RECONCILE_INTERVAL_SECONDS", options.IntervalSeconds, 0, 604_800);
        options.OrphanGraceSeconds = reader.Int("IMG_ORPHAN_GRACE_SECONDS", options.OrphanGraceSeconds, 60, 2_592_000);
    }
}
