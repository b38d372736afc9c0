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
