using Images.Domain.Images;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Images.Infrastructure.Persistence;

internal sealed class BlobCollectionEntryConfiguration : IEntityTypeConfiguration<BlobCollectionEntry>
{
    public void Configure(EntityTypeBuilder<BlobCollectionEntry> builder)
    {
        builder.ToTable("blob_collection_queue");
        builder.HasKey(e => e.ContentHash);
        builder.Property(e => e.ContentHash).HasColumnName("content_hash").HasMaxLength(ContentHash.HexLength).IsFixedLength();
        builder.Property(e => e.EnqueuedAt).HasColumnName("enqueued_at");
    }
}
