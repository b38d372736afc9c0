using Images.Domain.Images;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Images.Infrastructure.Persistence;

internal sealed class ImageConfiguration : IEntityTypeConfiguration<Image>
{
    public const string VersionProperty = "Version";

    public void Configure(EntityTypeBuilder<Image> builder)
    {
        builder.ToTable("images");
        builder.HasKey(i => i.Id);
        builder.Property(i => i.Id).HasColumnName("id").ValueGeneratedNever();
        builder.Property(i => i.Filename).HasColumnName("filename").HasMaxLength(Image.MaxFilenameLength).IsRequired();
        builder.Property(i => i.ContentType).HasColumnName("content_type").HasMaxLength(64).IsRequired();
        builder.Property(i => i.SizeBytes).HasColumnName("size_bytes");
        builder.Property(i => i.ContentHash)
            .HasColumnName("content_hash")
            .HasMaxLength(ContentHash.HexLength)
            .IsFixedLength()
            .HasConversion(h => h.Value, v => ContentHash.Parse(v));
        builder.Property(i => i.Format).HasColumnName("format").HasMaxLength(8)
            .HasConversion(f => f.ToString().ToLowerInvariant(), v => Enum.Parse<ImageFormat>(v, true));
        builder.Property(i => i.Status).HasColumnName("status").HasMaxLength(16)
            .HasConversion(s => s.ToString().ToLowerInvariant(), v => Enum.Parse<ImageStatus>(v, true));
        builder.Ignore(i => i.Tags);
        builder.Property<List<string>>("_tags").HasColumnName("tags").IsRequired();
        builder.Property(i => i.CreatedAt).HasColumnName("created_at");
        builder.Property(i => i.UpdatedAt).HasColumnName("updated_at");
        builder.Property(i => i.ExpiresAt).HasColumnName("expires_at");
        builder.Property(i => i.Width).HasColumnName("width");
        builder.Property(i => i.Height).HasColumnName("height");
        builder.Property(i => i.Channels).HasColumnName("channels");
        builder.Property(i => i.HasAlpha).HasColumnName("has_alpha");
        builder.Property(i => i.Frames).HasColumnName("frames");
        builder.Property(i => i.ThumbnailAvailable).HasColumnName("thumbnail_available");
        builder.Ignore(i => i.Renditions);
        builder.Property<List<Rendition>>("_renditions").HasColumnName("renditions").HasColumnType("jsonb")
            .HasConversion(RenditionsJson.Converter, RenditionsJson.Comparer).HasDefaultValueSql("'[]'::jsonb").IsRequired();
        builder.Property(i => i.Error).HasColumnName("error").HasMaxLength(Image.MaxErrorLength);
        builder.Property(i => i.ProcessingStartedAt).HasColumnName("processing_started_at");
        builder.Property(i => i.Attempts).HasColumnName("attempts");
        builder.Property(i => i.LapsedAttempts).HasColumnName("lapsed_attempts").HasDefaultValue(0);
        builder.Property(i => i.LeaseHolder).HasColumnName("lease_holder").HasMaxLength(Image.MaxLeaseHolderLength);
        builder.Property(i => i.LeaseExpiresAt).HasColumnName("lease_expires_at");

        // Optimistic concurrency: the repository moves the version on with every saved change, so two
        // processors never both claim an image. (Not xmin: lease renewals update the row too, and
        // must not make the holder's own outcome look like a conflict.)
        builder.Property<int>(VersionProperty).HasColumnName("version").HasDefaultValue(0).IsConcurrencyToken();

        // NFR-3: the list's orders and filters, the sweep's partial index, and references by hash.
        builder.HasIndex(i => new { i.CreatedAt, i.Id }).HasDatabaseName("ix_images_created_at");
        builder.HasIndex(i => new { i.Status, i.CreatedAt }).HasDatabaseName("ix_images_status_created_at");
        builder.HasIndex(i => i.ExpiresAt).HasDatabaseName("ix_images_expires_at").HasFilter("expires_at IS NOT NULL");
        builder.HasIndex(i => i.ContentHash).HasDatabaseName("ix_images_content_hash");
    }
}
