using Images.Application;
using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Images.Tests.Application;

/// <summary>The Application layer's real registrations with every port replaced by a fake.</summary>
internal sealed class UseCaseHarness : IDisposable
{
    private readonly ServiceProvider _provider;

    public UseCaseHarness(int queueCapacity = int.MaxValue, Action<ProcessingOptions>? processing = null, int retentionBatch = 100, long maxUploadBytes = 1024 * 1024)
    {
        Queue = new FakeQueue(queueCapacity);
        var services = new ServiceCollection();
        UnitOfWork = new FakeUnitOfWork(Repository);
        Webhooks.InTransaction = () => UnitOfWork.Current is not null;
        services.AddSingleton(Options.Create(Apply(new ProcessingOptions { MaxWorkers = 2 }, processing)));
        services.AddSingleton(Options.Create(new UploadOptions { MaxUploadBytes = maxUploadBytes }));
        services.AddSingleton(Options.Create(new ReconciliationOptions()));
        services.AddSingleton(Options.Create(new RetentionOptions { BatchSize = retentionBatch }));
        services.AddSingleton<TimeProvider>(Clock);
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddMetrics();
        services.AddApplication();
        services.AddSingleton<IImageRepository>(Repository);
        services.AddSingleton<IBlobStore>(Blobs);
        services.AddSingleton<IImageProcessor>(Processor);
        services.AddSingleton<IImageAnalyser>(Analyser);
        services.AddSingleton(Options.Create(new InsightOptions()));
        services.AddSingleton<IProcessingQueue>(Queue);
        services.AddSingleton<IProcessingLeases>(Leases);
        services.AddSingleton<IUnitOfWork>(UnitOfWork);
        services.AddSingleton<IWebhookOutbox>(Webhooks);
        services.AddSingleton<IIdempotencyStore>(Idempotency);
        _provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    public FakeImageRepository Repository { get; } = new();

    public FakeBlobStore Blobs { get; } = new();

    public FakeImageProcessor Processor { get; } = new();

    public FakeImageAnalyser Analyser { get; } = new();

    public FakeQueue Queue { get; }

    public FakeLeases Leases { get; } = new();

    public FakeUnitOfWork UnitOfWork { get; }

    public FakeWebhookOutbox Webhooks { get; } = new();

    public FakeIdempotencyStore Idempotency { get; } = new();

    /// <summary>
    /// An image row with its original in the blob store, <paramref name="age"/> old; unless
    /// <paramref name="collectable"/> is false, the repository knows the blob (a collection may remove it).
    /// </summary>
    public Image Seed(string filename, ImageFormat format, int? ttl = null, byte[]? bytes = null, TimeSpan? age = null, bool collectable = true)
    {
        bytes ??= Guid.NewGuid().ToByteArray();
        var hash = ContentHash.FromBytes(System.Security.Cryptography.SHA256.HashData(bytes));
        Blobs.Originals[hash] = bytes;
        if (collectable)
        {
            Repository.Blobs.Add(hash);
        }

        var image = Image.Create(Guid.NewGuid(), filename, format, bytes.Length, hash, [], ttl, Clock.GetUtcNow() - (age ?? TimeSpan.Zero));
        Repository.Rows[image.Id] = image;
        return image;
    }

    public T Get<T>()
        where T : notnull => _provider.CreateScope().ServiceProvider.GetRequiredService<T>();

    public void Dispose() => _provider.Dispose();

    private static ProcessingOptions Apply(ProcessingOptions options, Action<ProcessingOptions>? change)
    {
        change?.Invoke(options);
        return options;
    }
}
