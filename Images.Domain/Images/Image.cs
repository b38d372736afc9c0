using Images.Domain.Common;

namespace Images.Domain.Images;

/// <summary>
/// One uploaded image: a record pointing at a content-addressed original, plus what processing found.
/// The lifecycle (FR-2.3) is pending -> processing -> completed | failed; a failed image may be
/// processed again, a processing one may be released back to pending (shutdown, an infrastructure
/// fault) or reclaimed once its processing lease has lapsed (the process working on it died,
/// NFR-9), and a completed one is final.
/// </summary>
public sealed class Image
{
    public const int MaxFilenameLength = 255;
    public const int MaxErrorLength = 2000;
    public const int MaxLeaseHolderLength = 128;

    private List<string> _tags = [];
    private List<Rendition> _renditions = [];

    private Image()
    {
        Filename = string.Empty;
        ContentType = string.Empty;
    }

    public Guid Id { get; private set; }
    public string Filename { get; private set; }
    public string ContentType { get; private set; }
    public long SizeBytes { get; private set; }
    public ContentHash ContentHash { get; private set; }
    public ImageFormat Format { get; private set; }
    public ImageStatus Status { get; private set; }
    public IReadOnlyList<string> Tags => _tags;
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    public DateTimeOffset? ExpiresAt { get; private set; }
    public int? Width { get; private set; }
    public int? Height { get; private set; }
    public int? Channels { get; private set; }
    public bool? HasAlpha { get; private set; }

    /// <summary>
    /// Frames or pages in the original's container (FR-8.6: an animated GIF's, WebP's or PNG's
    /// frames, an AVIF sequence's, a TIFF's pages, a HEIF's top-level images; 1 for a still image),
    /// known once processed; only the first is rendered.
    /// </summary>
    public int? Frames { get; private set; }
    public bool ThumbnailAvailable { get; private set; }

    // FR-9: stored as columns of their own (the hash is indexed by bands, ADR 14).
    private string? _placeholder;
    private string? _dominantColor;
    private long? _phash;
    private ExifSummary? _exif;

    /// <summary>FR-9.1/FR-9.2/FR-9.3: placeholder, dominant colour, perceptual hash and EXIF; null until completed.</summary>
    public ImageInsight? Insight => _phash is { } phash
        ? new ImageInsight(_placeholder ?? string.Empty, _dominantColor ?? string.Empty, unchecked((ulong)phash), _exif)
        : null;

    /// <summary>The named sizes made when the image completed (FR-8.1); empty before.</summary>
    public IReadOnlyList<Rendition> Renditions => _renditions;
    public string? Error { get; private set; }
    public DateTimeOffset? ProcessingStartedAt { get; private set; }

    /// <summary>How many times processing started (whatever its outcome).</summary>
    public int Attempts { get; private set; }

    /// <summary>
    /// Starts in a row whose lease lapsed without an outcome (the processing process died); back to
    /// zero once an attempt ends completed or failed (NFR-9).
    /// </summary>
    public int LapsedAttempts { get; private set; }

    /// <summary>Who holds the processing lease (one value per attempt), while processing.</summary>
    public string? LeaseHolder { get; private set; }

    /// <summary>Until when the holder's claim stands; renewed while it works (NFR-9).</summary>
    public DateTimeOffset? LeaseExpiresAt { get; private set; }

    public static Image Create(
        Guid id,
        string? filename,
        ImageFormat format,
        long sizeBytes,
        ContentHash contentHash,
        IEnumerable<string> tags,
        int? ttlHours,
        DateTimeOffset now)
    {
        if (sizeBytes <= 0)
        {
            throw new DomainValidationException("file", "The file is empty.");
        }

        now = Stamp(now);
        var normalizedTags = Images.Tags.Normalize(tags);
        var expiresAt = TimeToLive.ExpiresAt(now, ttlHours);

        return new Image
        {
            Id = id,
            Filename = SanitizeFilename(filename, format),
            ContentType = format.ContentType(),
            Format = format,
            SizeBytes = sizeBytes,
            ContentHash = contentHash,
            Status = ImageStatus.Pending,
            _tags = [.. normalizedTags],
            CreatedAt = now,
            UpdatedAt = now,
            ExpiresAt = expiresAt,
        };
    }

    /// <summary>FR-4.1: expired once expires_at has passed.</summary>
    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } expires && expires <= now;

    /// <summary>Whether a processing image's lease has run out: its holder is presumed dead.</summary>
    public bool LeaseLapsed(DateTimeOffset now) =>
        Status == ImageStatus.Processing && (LeaseExpiresAt is not { } until || until <= now);

    /// <summary>
    /// Claims the image for <paramref name="holder"/> until <paramref name="now"/> + <paramref name="lease"/>.
    /// Allowed from pending and failed; a processing image must be reclaimed first.
    /// </summary>
    public void StartProcessing(DateTimeOffset now, TimeSpan lease, string holder)
    {
        now = Stamp(now);
        if (Status is not (ImageStatus.Pending or ImageStatus.Failed))
        {
            throw Illegal(ImageStatus.Processing);
        }

        if (lease <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lease), lease, "A lease is a positive duration.");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(holder);
        Status = ImageStatus.Processing;
        ProcessingStartedAt = now;
        LeaseHolder = holder.Length <= MaxLeaseHolderLength ? holder : holder[..MaxLeaseHolderLength];
        LeaseExpiresAt = now + lease;
        Attempts++;
        Error = null;
        UpdatedAt = now;
    }

    /// <summary>
    /// Takes back an image whose lease lapsed (NFR-9): it counts as an attempt that died. Below
    /// <paramref name="maxAttempts"/> such attempts the image goes back to pending and returns true;
    /// at the cap it ends failed with that reason and returns false, so a file that kills every
    /// process that opens it is never queued again.
    /// </summary>
    public bool Reclaim(DateTimeOffset now, int maxAttempts)
    {
        if (!LeaseLapsed(now))
        {
            throw new InvalidStatusTransitionException(
                $"Image {Id} cannot be reclaimed: it is {Status.ToString().ToLowerInvariant()}" +
                (Status == ImageStatus.Processing ? $" and its lease runs until {LeaseExpiresAt:O}." : "."));
        }

        LapsedAttempts++;
        if (LapsedAttempts >= maxAttempts)
        {
            var attempts = LapsedAttempts;
            Fail($"Gave up after {attempts} attempts; the processing process died each time (IMG_PROCESSING_MAX_ATTEMPTS={maxAttempts}).", now);
            return false;
        }

        ToPending(now);
        return true;
    }

    public void Complete(ImageMetadata metadata, DateTimeOffset now) => Complete(metadata, [], now);

    /// <summary>Completes the image with the renditions made from it (FR-8.1); names are unique.</summary>
    public void Complete(ImageMetadata metadata, IReadOnlyList<Rendition> renditions, DateTimeOffset now) =>
        Complete(metadata, renditions, null, now);

    /// <summary>Completes the image with its renditions and what was learnt from its pixels and EXIF (FR-9).</summary>
    public void Complete(ImageMetadata metadata, IReadOnlyList<Rendition> renditions, ImageInsight? insight, DateTimeOffset now)
    {
        now = Stamp(now);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(renditions);
        if (renditions.Select(r => r.Name).Distinct(StringComparer.Ordinal).Count() != renditions.Count)
        {
            throw new ArgumentException("Rendition names must be unique.", nameof(renditions));
        }

        if (Status != ImageStatus.Processing)
        {
            throw Illegal(ImageStatus.Completed);
        }

        Width = metadata.Width;
        Height = metadata.Height;
        Channels = metadata.Channels;
        HasAlpha = metadata.HasAlpha;
        Frames = Math.Max(1, metadata.Frames);
        Format = metadata.Format;
        _renditions = [.. renditions];
        _placeholder = insight?.Placeholder;
        _dominantColor = insight?.DominantColor;
        _phash = insight is null ? null : unchecked((long)insight.PerceptualHash);
        _exif = insight?.Exif;
        ThumbnailAvailable = true;
        Status = ImageStatus.Completed;
        EndAttempt();
        Error = null;
        UpdatedAt = now;
    }

    public void Fail(string reason, DateTimeOffset now)
    {
        now = Stamp(now);
        if (Status != ImageStatus.Processing)
        {
            throw Illegal(ImageStatus.Failed);
        }

        var text = string.IsNullOrWhiteSpace(reason) ? "Processing failed." : reason.Trim();
        Error = text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
        Status = ImageStatus.Failed;
        EndAttempt();
        UpdatedAt = now;
    }

    /// <summary>
    /// Gives an in-flight image back to the queue by its living holder (graceful shutdown, or an
    /// infrastructure fault such as a full disk): not an attempt that died.
    /// </summary>
    public void Release(DateTimeOffset now)
    {
        if (Status != ImageStatus.Processing)
        {
            throw Illegal(ImageStatus.Pending);
        }

        ToPending(now);
    }

    private void ToPending(DateTimeOffset now)
    {
        Status = ImageStatus.Pending;
        ProcessingStartedAt = null;
        LeaseHolder = null;
        LeaseExpiresAt = null;
        UpdatedAt = Stamp(now);
    }

    /// <summary>An attempt reached an outcome: the lease ends and the count of lapsed attempts restarts.</summary>
    private void EndAttempt()
    {
        ProcessingStartedAt = null;
        LeaseHolder = null;
        LeaseExpiresAt = null;
        LapsedAttempts = 0;
    }

    /// <summary>Timestamps keep microseconds, the precision they are stored with.</summary>
    private static DateTimeOffset Stamp(DateTimeOffset now) => new(now.UtcTicks - (now.UtcTicks % 10), TimeSpan.Zero);

    private InvalidStatusTransitionException Illegal(ImageStatus to) =>
        new($"Image {Id} cannot move from {Status.ToString().ToLowerInvariant()} to {to.ToString().ToLowerInvariant()}.");

    private static string SanitizeFilename(string? filename, ImageFormat format)
    {
        // Keep only the last path segment and drop control characters; never trust a client path.
        var name = (filename ?? string.Empty).Replace('\\', '/');
        name = name[(name.LastIndexOf('/') + 1)..];
        name = new string([.. name.Where(c => !char.IsControl(c))]).Trim();
        if (name.Length == 0)
        {
            name = "upload." + format.ToString().ToLowerInvariant();
        }

        return name.Length <= MaxFilenameLength ? name : name[..MaxFilenameLength];
    }
}
