using Images.Application.Abstractions;
using Images.Infrastructure.Storage;
using Images.Infrastructure.Storage.S3;
using Images.Tests.Support;
using Microsoft.Extensions.Options;

namespace Images.Tests.Infrastructure.Storage;

/// <summary>The blob store contract on a folder (FR-11.1, backend <c>filesystem</c>).</summary>
public sealed class FileSystemBlobStoreContractTests(DatabaseFixture database) : BlobStoreContract(database), IClassFixture<DatabaseFixture>
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "images-tests-contract-" + Guid.NewGuid().ToString("N")[..12]);
    private FileSystemBlobStore? _store;

    protected override IBlobStore Store => _store!;

    protected override string StagingDirectory => Path.Combine(_root, "tmp");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _store = new FileSystemBlobStore(Options.Create(new StorageOptions { BaseDirectory = _root }));
    }

    public override Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>
/// The S3 store's own fixture: an s3rver process (or the external store named by IMG_TEST_S3_*),
/// started once for the class.
/// </summary>
public sealed class S3StoreFixture : DatabaseFixture
{
    public S3TestStore S3 { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        S3 = await S3TestStore.StartAsync();
    }

    public override async Task DisposeAsync()
    {
        await S3.DisposeAsync();
        await base.DisposeAsync();
    }
}

/// <summary>
/// The blob store contract on an S3-compatible store (FR-11.1, backend <c>s3</c>): s3rver here, MinIO
/// or AWS with IMG_TEST_S3_BUCKET and friends set (README, "Tests"). Uploads over 5 MiB go up in parts.
/// </summary>
public sealed class S3BlobStoreContractTests(S3StoreFixture fixture) : BlobStoreContract(fixture), IClassFixture<S3StoreFixture>
{
    private S3BlobStore? _store;
    private string _staging = string.Empty;

    protected override IBlobStore Store => _store!;

    protected override string StagingDirectory => _staging;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        // Each test starts from an empty prefix: what earlier tests stored is gone.
        using (var cleaner = fixture.S3.CreateStore())
        {
            foreach (var hash in await cleaner.ListOriginalsAsync(DateTimeOffset.MaxValue, CancellationToken.None).ToListAsync())
            {
                await cleaner.DeleteOriginalAsync(hash, CancellationToken.None);
            }

            foreach (var id in await cleaner.ListThumbnailsAsync(DateTimeOffset.MaxValue, CancellationToken.None).ToListAsync())
            {
                await cleaner.DeleteThumbnailAsync(id, CancellationToken.None);
            }

            foreach (var owner in (await cleaner.ListDerivedAsync(DateTimeOffset.MaxValue, CancellationToken.None).ToListAsync()).Select(DerivedKeys.Owner).OfType<Guid>().Distinct())
            {
                await cleaner.DeleteDerivedAsync(DerivedKeys.Prefix(owner), CancellationToken.None);
            }
        }

        _store = fixture.S3.CreateStore(configure: o => o.MultipartThresholdMegabytes = 5);
        _staging = _store.StagingDirectory;
    }

    public override Task DisposeAsync()
    {
        _store?.Dispose();
        return Task.CompletedTask;
    }
}
