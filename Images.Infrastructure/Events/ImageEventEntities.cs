using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Images.Infrastructure.Events;

/// <summary>
/// One image state change (FR-12.1), written by <see cref="Webhooks.WebhookOutbox"/> in the change's
/// transaction beside its webhook deliveries. <see cref="Id"/> is the stream's event id: handed out
/// under a lock held until commit, so positions become visible in order (ADR 16).
/// </summary>
internal sealed class ImageEventEntity
{
    public long Id { get; set; }

    /// <summary>The same id as the webhook deliveries of this event (their <c>webhook-id</c> is <c>msg_</c> + it).</summary>
    public Guid EventId { get; set; }

    public string EventType { get; set; } = string.Empty;

    public Guid ImageId { get; set; }

    /// <summary><c>{"type","timestamp","data"}</c> exactly as webhooks send it (never with GPS).</summary>
    public string Payload { get; set; } = string.Empty;

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>The one row saying through which position events were purged (older than IMG_EVENTS_REPLAY_HOURS).</summary>
internal sealed class ImageEventHorizonEntity
{
    public int Id { get; set; }

    public long PurgedThrough { get; set; }
}

internal sealed class ImageEventConfiguration : IEntityTypeConfiguration<ImageEventEntity>
{
    public void Configure(EntityTypeBuilder<ImageEventEntity> builder)
    {
        builder.ToTable("image_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).HasColumnName("id").UseIdentityAlwaysColumn();
        builder.Property(e => e.EventId).HasColumnName("event_id");
        builder.Property(e => e.EventType).HasColumnName("event_type").HasMaxLength(32);
        builder.Property(e => e.ImageId).HasColumnName("image_id");
        builder.Property(e => e.Payload).HasColumnName("payload");
        builder.Property(e => e.CreatedAt).HasColumnName("created_at");
        builder.HasIndex(e => e.CreatedAt).HasDatabaseName("ix_image_events_created_at");
    }
}

internal sealed class ImageEventHorizonConfiguration : IEntityTypeConfiguration<ImageEventHorizonEntity>
{
    public void Configure(EntityTypeBuilder<ImageEventHorizonEntity> builder)
    {
        builder.ToTable("image_event_horizon");
        builder.HasKey(h => h.Id);
        builder.Property(h => h.Id).HasColumnName("id").ValueGeneratedNever();
        builder.Property(h => h.PurgedThrough).HasColumnName("purged_through");
        builder.HasData(new ImageEventHorizonEntity { Id = 1, PurgedThrough = 0 });
    }
}
