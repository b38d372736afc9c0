namespace Images.Domain.Images;

/// <summary>
/// What processing learns about an image beyond its size (FR-9.1 to FR-9.3): a ThumbHash
/// placeholder (base64), the dominant colour (<c>#rrggbb</c>), the 64-bit perceptual hash of its luma
/// and what its EXIF block says. Computed from pixels the renditions' decode already holds.
/// </summary>
public sealed record ImageInsight(string Placeholder, string DominantColor, ulong PerceptualHash, ExifSummary? Exif)
{
    /// <summary>The hash as the resource shows it: 16 lowercase hex digits.</summary>
    public string PerceptualHashHex => PerceptualHash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The Hamming distance between two perceptual hashes (0 = same, 64 = every bit differs).</summary>
    public static int Distance(ulong a, ulong b) => System.Numerics.BitOperations.PopCount(a ^ b);
}

/// <summary>
/// FR-9.3: the camera facts of an EXIF block, each null when absent or unreadable. <see cref="Gps"/>
/// is stored but shown only when <c>IMG_EXPOSE_GPS=true</c>. <see cref="TakenAt"/> is the camera's
/// local time as written (<c>yyyy-MM-ddTHH:mm:ss</c>), with its offset when the block gives one.
/// </summary>
public sealed record ExifSummary(
    string? Make,
    string? Model,
    string? Lens,
    string? TakenAt,
    double? ExposureTime,
    double? FNumber,
    int? Iso,
    double? FocalLength,
    GpsPosition? Gps)
{
    /// <summary>Nothing of interest was found (such a summary is not stored).</summary>
    public bool HasNothing() => this == new ExifSummary(null, null, null, null, null, null, null, null, null);
}

/// <summary>Degrees (south and west negative) and metres above sea level (below negative).</summary>
public sealed record GpsPosition(double Lat, double Lon, double? Alt);
