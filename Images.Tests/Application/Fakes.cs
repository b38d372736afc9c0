using System.Collections.Concurrent;
using System.Security.Cryptography;
using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;

namespace Images.Tests.Application;

/// <summary>In-memory ports for use-case tests. Each keeps just enough behaviour to be asserted on.</summary>
internal sealed class FakeImageRepository : IImageRepository
{
    public Dictionary<Guid, Image> Rows { get; } = [];

    public HashSet<ContentHash> Blobs { get; } = [];

    public Exception? FailNextAdd { get; set; }

    public Func<Image, SaveResult>? OnUpdate { get; set; }

    private int _updates;

    public int Updates => _updates;

    public Task<Image?> GetAsync(Guid id, CancellationToken cancellationToken) =>
        Task.FromResult(Rows.GetValueOrDefault(id));

    /// <summary>A linear scan: fine for a fake; the real repository answers from the band indexes.</summary>
    public Task<IReadOnlyList<(Image Image, int Distance)>> FindSimilarAsync(ulong hash, Guid excluded, int maxDistance, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<(Image, int)>>([.. Rows.Values
            .Where(i => i.Id != excluded && i.Insight is not null)
            .Select(i => (Image: i, Distance: ImageInsight.Distance(hash, i.Insight!.PerceptualHash)))
            .Where(x => x.Distance <= maxDistance)
            .OrderBy(x => x.Distance).ThenBy(x => x.Image.Id)
            .Take(limit)]);

    public Task<(IReadOnlyList<Image> Items, long Total)> ListAsync(ImageListFilter filter, int offset, int limit, CancellationToken cancellationToken)
    {
        var all = Rows.Values
            .Where(i => filter.Status is null || i.Status == filter.Status)
            .Where(i => filter.Tag is null || i.Tags.Contains(filter.Tag, StringComparer.Ordinal))
            .Where(i => filter.FilenameContains is null || i.Filename.Contains(filter.FilenameContains, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(i => i.CreatedAt).ToList();
        return Task.FromResult<(IReadOnlyList<Image>, long)>((all.Skip(offset).Take(limit).ToList(), all.Count));
    }

    public Task AddAsync(Image image, StagedBlob original, CancellationToken cancellationToken)
    {
        if (FailNextAdd is { } failure)
        {
            FailNextAdd = null;
            throw failure;
        }

        Rows[image.Id] = image;
        Blobs.Add(original.Hash);
        return Task.CompletedTask;
    }

    public Task<SaveResult> UpdateAsync(Image image, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _updates);
        var result = OnUpdate?.Invoke(image) ?? (Rows.ContainsKey(image.Id) ? SaveResult.Saved : SaveResult.Gone);
        return Task.FromResult(result);
    }

    public Task<IReadOnlyList<Image>> DeleteExpiredBatchAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken)
    {
        var expired = Rows.Values.Where(i => i.IsExpired(now)).Take(batchSize).ToList();
        foreach (var image in expired)
        {
            Rows.Remove(image.Id);
        }

        return Task.FromResult<IReadOnlyList<Image>>(expired);
    }

    public Task<Image?> DeleteAsync(Guid id, CancellationToken cancellationToken) =>
        Task.FromResult<Image?>(Rows.Remove(id, out var image) ? image : null);

    /// <summary>Thrown by the next collection (a database that went away after a commit).</summary>
    public Exception? FailNextCollection { get; set; }

    public Task<BlobCollection> CollectUnreferencedOriginalsAsync(CancellationToken cancellationToken)
    {
        if (FailNextCollection is { } failure)
        {
            FailNextCollection = null;
            throw failure;
        }

        var unreferenced = Blobs.Where(h => Rows.Values.All(i => i.ContentHash != h)).ToList();
        foreach (var hash in unreferenced)
        {
            Blobs.Remove(hash);
        }

        return Task.FromResult(new BlobCollection(unreferenced.Count, 0));
    }

    public Task<IReadOnlyList<Guid>> ListRecoverableAsync(DateTimeOffset pendingBefore, DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Guid>>([.. Rows.Values
            .Where(i => (i.Status == ImageStatus.Pending && i.UpdatedAt <= pendingBefore) || i.LeaseLapsed(now))
            .Select(i => i.Id)
            .Take(limit)]);

    public Task<IReadOnlySet<ContentHash>> FindReferencedAsync(IReadOnlyCollection<ContentHash> hashes, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlySet<ContentHash>>(hashes.Where(h => Rows.Values.Any(i => i.ContentHash == h)).ToHashSet());

    public Task<IReadOnlySet<Guid>> FindExistingAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlySet<Guid>>(ids.Where(Rows.ContainsKey).ToHashSet());

    public Task<IReadOnlySet<Guid>> FindCompletedAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlySet<Guid>>(ids.Where(id => Rows.TryGetValue(id, out var row) && row.Status == ImageStatus.Completed).ToHashSet());

    public List<ContentHash> Scheduled { get; } = [];

    public Task ScheduleCollectionAsync(IReadOnlyCollection<ContentHash> hashes, CancellationToken cancellationToken)
    {
        Scheduled.AddRange(hashes);
        Blobs.UnionWith(hashes);
        return Task.CompletedTask;
    }
}

internal sealed class FakeLeases : IProcessingLeases
{
    public int Renewals { get; private set; }

    /// <summary>What a renewal answers: true while the holder keeps the image.</summary>
    public Func<Guid, string, bool> Answer { get; set; } = (_, _) => true;

    public Task<bool> RenewAsync(Guid imageId, string holder, DateTimeOffset until, CancellationToken cancellationToken)
    {
        Renewals++;
        return Task.FromResult(Answer(imageId, holder));
    }
}

internal sealed class FakeBlobStore : IBlobStore
{
    public Dictionary<ContentHash, byte[]> Originals { get; } = [];

    public ConcurrentDictionary<Guid, byte[]> Thumbnails { get; } = [];

    public HashSet<Guid> ThumbnailDeleteFailures { get; } = [];

    /// <summary>When a blob was written; absent means long ago.</summary>
    public Dictionary<object, DateTimeOffset> WrittenAt { get; } = [];

    public int TemporaryFiles { get; set; }

    /// <summary>Thrown by the next thumbnail write (a full disk, say).</summary>
    public Exception? FailNextThumbnailWrite { get; set; }

    public int OpenStaged { get; private set; }

    public async Task<StagedBlob> StageAsync(ReadOnlyMemory<byte> prefix, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        buffer.Write(prefix.Span);
        await content.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length > maxBytes)
        {
            throw new PayloadTooLargeException(maxBytes);
        }

        var bytes = buffer.ToArray();
        var hash = ContentHash.FromBytes(SHA256.HashData(bytes));
        Originals[hash] = bytes;
        OpenStaged++;
        return new Staged(this, hash, bytes.Length);
    }

    public Task<Stream?> OpenOriginalAsync(ContentHash hash, CancellationToken cancellationToken) =>
        Task.FromResult<Stream?>(Originals.TryGetValue(hash, out var bytes) ? new MemoryStream(bytes) : null);

    public Task<Stream?> OpenForDownloadAsync(BlobDownload download, CancellationToken cancellationToken) =>
        download.Hash is { } hash ? OpenOriginalAsync(hash, cancellationToken) : OpenThumbnailAsync(download.ImageId!.Value, cancellationToken);

    /// <summary>What a store with presigned downloads would answer; null streams through the service.</summary>
    public Func<BlobDownload, Uri?> DownloadUri { get; set; } = _ => null;

    public Task<Uri?> GetDownloadUriAsync(BlobDownload download, CancellationToken cancellationToken) => Task.FromResult(DownloadUri(download));

    public async Task WriteThumbnailAsync(Guid imageId, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        if (FailNextThumbnailWrite is { } failure)
        {
            FailNextThumbnailWrite = null;
            throw failure;
        }

        using var buffer = new MemoryStream();
        await write(buffer, cancellationToken);
        Thumbnails[imageId] = buffer.ToArray();
    }

    public Task<Stream?> OpenThumbnailAsync(Guid imageId, CancellationToken cancellationToken) =>
        Task.FromResult<Stream?>(Thumbnails.TryGetValue(imageId, out var bytes) ? new MemoryStream(bytes) : null);

    public ConcurrentDictionary<string, byte[]> Derived { get; } = [];

    public async Task WriteDerivedAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await write(buffer, cancellationToken);
        Derived[key] = buffer.ToArray();
        WrittenAt[key] = DateTimeOffset.UtcNow;
    }

    public Task<Stream?> OpenDerivedAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult<Stream?>(Derived.TryGetValue(key, out var bytes) ? new MemoryStream(bytes) : null);

    public Task DeleteDerivedAsync(string prefix, CancellationToken cancellationToken)
    {
        foreach (var key in Derived.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
        {
            Derived.TryRemove(key, out _);
        }

        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<string> ListDerivedAsync(DateTimeOffset before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var key in Derived.Keys.Where(k => WrittenAt.GetValueOrDefault(k, DateTimeOffset.MinValue) < before).ToList())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return key;
        }

        await Task.CompletedTask;
    }

    public Task DeleteThumbnailAsync(Guid imageId, CancellationToken cancellationToken)
    {
        if (ThumbnailDeleteFailures.Contains(imageId))
        {
            throw new IOException("disk says no");
        }

        Thumbnails.TryRemove(imageId, out _);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<ContentHash> ListOriginalsAsync(DateTimeOffset before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var hash in Originals.Keys.Where(h => WrittenAt.GetValueOrDefault(h, DateTimeOffset.MinValue) < before).ToList())
        {
            yield return hash;
        }

        await Task.CompletedTask;
    }

    public async IAsyncEnumerable<Guid> ListThumbnailsAsync(DateTimeOffset before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var id in Thumbnails.Keys.Where(id => WrittenAt.GetValueOrDefault(id, DateTimeOffset.MinValue) < before).ToList())
        {
            yield return id;
        }

        await Task.CompletedTask;
    }

    public Task<int> DeleteTemporaryFilesAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var deleted = TemporaryFiles;
        TemporaryFiles = 0;
        return Task.FromResult(deleted);
    }

    private sealed class Staged(FakeBlobStore store, ContentHash hash, long length) : StagedBlob(hash, length)
    {
        public override ValueTask DisposeAsync()
        {
            store.OpenStaged--;
            return ValueTask.CompletedTask;
        }
    }
}

internal sealed class FakeImageProcessor : IImageProcessor
{
    public Func<byte[], ImageMetadata>? Behaviour { get; set; }

    /// <summary>What the header says; by default a small image that fits every budget.</summary>
    public Func<byte[], DecodePlan>? Plan { get; set; }

    /// <summary>Runs inside the decode, with its token (to play a slow or hanging decoder).</summary>
    public Func<CancellationToken, Task>? During { get; set; }

    private int _calls;

    public int Calls => _calls;

    public async Task<DecodePlan> PlanAsync(Stream original, ImageFormat format, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await original.CopyToAsync(buffer, cancellationToken);
        return Plan?.Invoke(buffer.ToArray()) ?? new DecodePlan(100, 50, 1, 1024 * 1024, "fake");
    }

    public async Task<ImageMetadata> CreateThumbnailAsync(Stream original, ImageFormat format, Stream thumbnail, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        if (During is { } during)
        {
            await during(cancellationToken);
        }

        using var buffer = new MemoryStream();
        await original.CopyToAsync(buffer, cancellationToken);
        var metadata = Behaviour?.Invoke(buffer.ToArray()) ?? new ImageMetadata(100, 50, format, 3, false);
        await thumbnail.WriteAsync("thumb"u8.ToArray(), cancellationToken);
        return metadata;
    }

    /// <summary>The thumbnail as above (its JPEG is "thumb"), every other size and format "&lt;name&gt;.&lt;format&gt;".</summary>
    public async Task<RenditionSet> CreateRenditionsAsync(Stream original, ImageFormat format, IReadOnlyList<RenditionSize> sizes, CancellationToken cancellationToken)
    {
        using var thumbnail = new MemoryStream();
        var metadata = await CreateThumbnailAsync(original, format, thumbnail, cancellationToken);
        var made = sizes.Select(size =>
        {
            var formats = new Dictionary<RenditionFormat, EncodedFile>();
            foreach (var f in metadata.HasAlpha ? Enum.GetValues<RenditionFormat>() : [RenditionFormat.Jpeg, RenditionFormat.Webp, RenditionFormat.Avif])
            {
                formats[f] = new EncodedFile(
                    size.Name == Rendition.Thumbnail && f == RenditionFormat.Jpeg ? thumbnail.ToArray() : System.Text.Encoding.ASCII.GetBytes($"{size.Name}.{f.ContractName()}"),
                    TimeSpan.FromMilliseconds(1));
            }

            var side = Math.Min(size.MaxSide, Math.Max(metadata.Width, metadata.Height));
            return new EncodedRendition(size.Name, side, side, formats);
        }).ToList();
        return new RenditionSet(metadata, made, "none", []) { Sample = new PixelSample(2, 1, [10, 20, 30, 255, 40, 50, 60, 255]) };
    }
}

/// <summary>An analyser that records what it was given and answers a fixed insight (the real algorithms have their own tests).</summary>
internal sealed class FakeImageAnalyser : IImageAnalyser
{
    public List<PixelSample> Samples { get; } = [];

    public ExifSummary? Exif { get; set; }

    public ulong Hash { get; set; } = 0x0123_4567_89ab_cdefUL;

    public ImageInsight Analyse(PixelSample sample, ExifSummary? exif)
    {
        Samples.Add(sample);
        return new ImageInsight("AAAA", "#0a141e", Hash, exif);
    }

    public Task<ExifSummary?> ReadExifAsync(Stream original, ImageFormat format, CancellationToken cancellationToken) => Task.FromResult(Exif);
}

internal sealed class FakeQueue(int capacity = int.MaxValue) : IProcessingQueue
{
    public List<Guid> Items { get; } = [];

    public Task<bool> EnqueueAsync(Guid imageId, CancellationToken cancellationToken)
    {
        if (Items.Count >= capacity)
        {
            return Task.FromResult(false);
        }

        Items.Add(imageId);
        return Task.FromResult(true);
    }
}

/// <summary>A unit of work of the fakes: committing runs the commit actions; ending without a commit undoes the rows added in it and runs the rollback actions.</summary>
internal sealed class FakeUnitOfWork(FakeImageRepository repository) : IUnitOfWork
{
    public IUnitOfWorkTransaction? Current { get; private set; }

    public int Commits { get; private set; }

    public int Rollbacks { get; private set; }

    private FakeImageRepository Repository => repository;

    public Task<IUnitOfWorkTransaction> BeginAsync(CancellationToken cancellationToken)
    {
        var transaction = new Transaction(this, [.. repository.Rows.Keys]);
        Current = transaction;
        return Task.FromResult<IUnitOfWorkTransaction>(transaction);
    }

    private sealed class Transaction(FakeUnitOfWork owner, HashSet<Guid> before) : IUnitOfWorkTransaction
    {
        private readonly List<Action> _committed = [];
        private readonly List<Func<Task>> _rolledBack = [];
        private bool _done;

        public Task CommitAsync(CancellationToken cancellationToken)
        {
            _done = true;
            owner.Current = null;
            owner.Commits++;
            _committed.ForEach(a => a());
            return Task.CompletedTask;
        }

        public void OnCommitted(Action action) => _committed.Add(action);

        public void OnRolledBack(Func<Task> action) => _rolledBack.Add(action);

        public async ValueTask DisposeAsync()
        {
            owner.Current = null;
            if (_done)
            {
                return;
            }

            owner.Rollbacks++;
            foreach (var id in owner.Repository.Rows.Keys.Where(id => !before.Contains(id)).ToList())
            {
                owner.Repository.Rows.Remove(id);
            }

            foreach (var action in _rolledBack)
            {
                await action();
            }
        }
    }
}

/// <summary>Records the events a use case wrote to the webhook outbox, with whether a unit of work was open.</summary>
internal sealed class FakeWebhookOutbox : IWebhookOutbox
{
    public ConcurrentQueue<(string Type, ImageDto Image, bool InTransaction)> Events { get; } = new();

    /// <summary>Whether a unit of work is open (set by the harness).</summary>
    public Func<bool> InTransaction { get; set; } = () => false;

    public Task RecordAsync(string eventType, ImageDto image, CancellationToken cancellationToken)
    {
        Events.Enqueue((eventType, image, InTransaction()));
        return Task.CompletedTask;
    }
}

/// <summary>Idempotency keys in memory (no waiting: the real store's locking is tested against PostgreSQL).</summary>
internal sealed class FakeIdempotencyStore : IIdempotencyStore
{
    public Dictionary<(string Scope, string Key), IdempotencyRecord?> Records { get; } = [];

    private readonly Dictionary<(string Scope, string Key), (string Fingerprint, DateTimeOffset ExpiresAt)> _claims = [];

    public Task<IdempotencyRecord?> ClaimAsync(string scope, string key, string fingerprint, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        if (_claims.TryGetValue((scope, key), out var claim) && claim.ExpiresAt > now && Records.TryGetValue((scope, key), out var record) && record is not null)
        {
            return Task.FromResult<IdempotencyRecord?>(record with { Fingerprint = claim.Fingerprint });
        }

        _claims[(scope, key)] = (fingerprint, expiresAt);
        Records[(scope, key)] = null;
        return Task.FromResult<IdempotencyRecord?>(null);
    }

    public Task CompleteAsync(string scope, string key, int status, ImageDto response, CancellationToken cancellationToken)
    {
        Records[(scope, key)] = new IdempotencyRecord(_claims[(scope, key)].Fingerprint, status, response);
        return Task.CompletedTask;
    }
}
