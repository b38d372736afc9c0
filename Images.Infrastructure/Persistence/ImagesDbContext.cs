using Images.Domain.Images;
using Microsoft.EntityFrameworkCore;

namespace Images.Infrastructure.Persistence;

public sealed class ImagesDbContext(DbContextOptions<ImagesDbContext> options) : DbContext(options)
{
    public DbSet<Image> Images => Set<Image>();

    internal DbSet<BlobCollectionEntry> BlobCollectionQueue => Set<BlobCollectionEntry>();

    internal DbSet<ImageCountDelta> ImageCountDeltas => Set<ImageCountDelta>();

    internal DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();

    internal DbSet<IdempotencyRecordEntity> IdempotencyKeys => Set<IdempotencyRecordEntity>();

    internal DbSet<WebhookSubscriptionEntity> WebhookSubscriptions => Set<WebhookSubscriptionEntity>();

    internal DbSet<WebhookDeliveryEntity> WebhookDeliveries => Set<WebhookDeliveryEntity>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // Trigram indexes answer the list's filename search (FR-12.3); pg_trgm ships with PostgreSQL
        // and is a trusted extension (the database's owner may create it).
        modelBuilder.HasPostgresExtension("pg_trgm");
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ImagesDbContext).Assembly);
    }
}
