using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Images.Infrastructure.Persistence;

internal sealed class ImageCountDeltaConfiguration : IEntityTypeConfiguration<ImageCountDelta>
{
    public void Configure(EntityTypeBuilder<ImageCountDelta> builder)
    {
        builder.ToTable("image_count_deltas");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).HasColumnName("id").UseIdentityAlwaysColumn();
        builder.Property(c => c.Status).HasColumnName("status").HasMaxLength(16);
        builder.Property(c => c.Delta).HasColumnName("delta");
        builder.HasIndex(c => c.Status).HasDatabaseName("ix_image_count_deltas_status");
    }
}
