using System.Diagnostics;
using Images.Domain.Images;
using Microsoft.EntityFrameworkCore;

namespace Images.Infrastructure.Persistence;

public sealed class ImagesDbContext(DbContextOptions<ImagesDbContext> options) : DbContext(options)
{
    public DbSet<Image> Images => Set<Image>();

    internal DbSet<BlobCollectionEntry> BlobCollectionQueue => Set<BlobCollectionEntry>();

    internal DbSet<ImageCountDelta> ImageCountDeltas => Set<ImageCountDelta>();

    internal DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ImagesDbContext).Assembly);
}

/// <summary>An original whose last reference may be gone; collected under the hash's lock.</summary>
internal sealed class BlobCollectionEntry
{
    public string ContentHash { get; set; } = string.Empty;

    public DateTimeOffset EnqueuedAt { get; set; }
}

/// <summary>
/// A processing task waiting to be published to Kafka (transactional outbox, FR-2.7): written in
/// the upload's transaction, published by the relay, then marked sent.
/// </summary>
internal sealed class OutboxMessage
{
    public long Id { get; set; }

    public Guid ImageId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    public int Attempts { get; set; }

    public string? LastError { get; set; }

    /// <summary>W3C traceparent of the upload, so the worker's span continues the upload's trace.</summary>
    public string? TraceParent { get; set; }
}

/// <summary>
/// Changes of the row count per status, appended by a trigger and compacted now and then, so the
/// list's total never counts the whole table (NFR-3) and writers never contend on a counter row.
/// </summary>
internal sealed class ImageCountDelta
{
    public long Id { get; set; }

    public string Status { get; set; } = string.Empty;

    public long Delta { get; set; }
}

public static class ImagesDbContextOptions
{
    public const string MigrationsHistoryTable = "__ef_migrations_history";

    /// <summary>
    /// The one Npgsql configuration used by the hosts, the design-time factory and the tests.
    /// Commands are traced only inside a trace (a request, a task): the polling of background loops
    /// would otherwise start a root trace per tick and bury the uploads in the dashboard (NFR-10).
    /// Opening a physical connection is not traced at all: it has no filter, pooling makes it rare,
    /// and a loop that opens one would start a root trace of its own.
    /// </summary>
    public static TBuilder UseImagesDatabase<TBuilder>(this TBuilder builder, string connectionString)
        where TBuilder : DbContextOptionsBuilder
    {
        builder.UseNpgsql(connectionString, npgsql => npgsql
            .MigrationsHistoryTable(MigrationsHistoryTable)
            .ConfigureDataSource(dataSource => dataSource.ConfigureTracing(tracing => tracing
                .ConfigureCommandFilter(_ => Activity.Current is not null)
                .ConfigureBatchFilter(_ => Activity.Current is not null)
                .EnablePhysicalOpenTracing(false))));
        return builder;
    }
}
