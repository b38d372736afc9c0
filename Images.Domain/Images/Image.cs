using Images.Domain.Common;

namespace Images.Domain.Images;

/// <summary>
/// One uploaded image: a record pointing at a content-addressed original, plus what processing found.
/// The lifecycle (FR-2.3) is pending -> processing -> completed | failed; a failed image may be
/// processed again, a processing one may be released back to pending (shutdown, crashed worker),
/// and a completed one is final.
/// </summary>
public sealed class Image
{
    public const int MaxFilenameLength = 255;
    public const int MaxErrorLength = 2000;

    private List<string> _tags = [];

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
    public bool ThumbnailAvailable { get; private set; }
    public string? Error { get; private set; }
    public DateTimeOffset? ProcessingStartedAt { get; private set; }
    public int Attempts { get; private set; }

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

    public void StartProcessing(DateTimeOffset now)
    {
        now = Stamp(now);
        if (Status is not (ImageStatus.Pending or ImageStatus.Failed))
        {
            throw Illegal(ImageStatus.Processing);
        }

        Status = ImageStatus.Processing;
        ProcessingStartedAt = now;
        Attempts++;
        Error = null;
        UpdatedAt = now;
    }

    public void Complete(ImageMetadata metadata, DateTimeOffset now)
    {
        now = Stamp(now);
        ArgumentNullException.ThrowIfNull(metadata);
        if (Status != ImageStatus.Processing)
        {
            throw Illegal(ImageStatus.Completed);
        }

        Width = metadata.Width;
        Height = metadata.Height;
        Channels = metadata.Channels;
        HasAlpha = metadata.HasAlpha;
        Format = metadata.Format;
        ThumbnailAvailable = true;
        Status = ImageStatus.Completed;
        ProcessingStartedAt = null;
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
        ProcessingStartedAt = null;
        UpdatedAt = now;
    }

    /// <summary>Gives an in-flight image back to the queue (graceful shutdown, or a reaper after a crash).</summary>
    public void Release(DateTimeOffset now)
    {
        now = Stamp(now);
        if (Status != ImageStatus.Processing)
        {
            throw Illegal(ImageStatus.Pending);
        }

        Status = ImageStatus.Pending;
        ProcessingStartedAt = null;
        UpdatedAt = now;
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
