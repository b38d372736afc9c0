using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Images.Infrastructure.Persistence;

/// <summary>A webhook subscription (FR-10.1). The secret is kept as given: the HMAC needs it.</summary>
internal sealed class WebhookSubscriptionEntity
{
    public Guid Id { get; set; }

    public string Url { get; set; } = string.Empty;

    public string[] Events { get; set; } = [];

    public string Secret { get; set; } = string.Empty;

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// The webhook outbox (FR-10.2): one row per event and subscription, written in the transaction of
/// the state change, then attempted by the dispatcher until delivered or dead.
/// </summary>
internal sealed class WebhookDeliveryEntity
{
    public long Id { get; set; }

    public Guid SubscriptionId { get; set; }

    public Guid EventId { get; set; }

    public string EventType { get; set; } = string.Empty;

    /// <summary>The body exactly as signed and sent, the same on every attempt.</summary>
    public string Payload { get; set; } = string.Empty;

    public DateTimeOffset EventTimestamp { get; set; }

    /// <summary>W3C traceparent of the image's trace: the delivery span continues it.</summary>
    public string? TraceParent { get; set; }

    public string Status { get; set; } = string.Empty;

    public int Attempts { get; set; }

    /// <summary>When pending: when the next attempt is due (pushed forward while a dispatcher holds it).</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    public DateTimeOffset? LastAttemptAt { get; set; }

    public int? LastStatusCode { get; set; }

    public string? LastError { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }
}

internal sealed class WebhookSubscriptionConfiguration : IEntityTypeConfiguration<WebhookSubscriptionEntity>
{
    public void Configure(EntityTypeBuilder<WebhookSubscriptionEntity> builder)
    {
        builder.ToTable("webhook_subscriptions");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Id).HasColumnName("id").ValueGeneratedNever();
        builder.Property(s => s.Url).HasColumnName("url").HasMaxLength(2048);
        builder.Property(s => s.Events).HasColumnName("events");
        builder.Property(s => s.Secret).HasColumnName("secret").HasMaxLength(128);
        builder.Property(s => s.CreatedAt).HasColumnName("created_at");
    }
}

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDeliveryEntity>
{
    public void Configure(EntityTypeBuilder<WebhookDeliveryEntity> builder)
    {
        builder.ToTable("webhook_deliveries");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Id).HasColumnName("id").UseIdentityAlwaysColumn();
        builder.Property(d => d.SubscriptionId).HasColumnName("subscription_id");
        builder.Property(d => d.EventId).HasColumnName("event_id");
        builder.Property(d => d.EventType).HasColumnName("event_type").HasMaxLength(32);
        builder.Property(d => d.Payload).HasColumnName("payload");
        builder.Property(d => d.EventTimestamp).HasColumnName("event_timestamp");
        builder.Property(d => d.TraceParent).HasColumnName("trace_parent").HasMaxLength(128);
        builder.Property(d => d.Status).HasColumnName("status").HasMaxLength(16);
        builder.Property(d => d.Attempts).HasColumnName("attempts");
        builder.Property(d => d.NextAttemptAt).HasColumnName("next_attempt_at");
        builder.Property(d => d.LastAttemptAt).HasColumnName("last_attempt_at");
        builder.Property(d => d.LastStatusCode).HasColumnName("last_status_code");
        builder.Property(d => d.LastError).HasColumnName("last_error").HasMaxLength(2000);
        builder.Property(d => d.DeliveredAt).HasColumnName("delivered_at");
        builder.HasOne<WebhookSubscriptionEntity>().WithMany().HasForeignKey(d => d.SubscriptionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(d => d.NextAttemptAt).HasDatabaseName("ix_webhook_deliveries_due").HasFilter("status = 'pending'");
        builder.HasIndex(d => d.EventTimestamp).HasDatabaseName("ix_webhook_deliveries_pending_event").HasFilter("status = 'pending'");
        builder.HasIndex(d => new { d.SubscriptionId, d.Id }).HasDatabaseName("ix_webhook_deliveries_subscription");
        builder.HasIndex(d => d.LastAttemptAt).HasDatabaseName("ix_webhook_deliveries_finished").HasFilter("status <> 'pending'");
    }
}
