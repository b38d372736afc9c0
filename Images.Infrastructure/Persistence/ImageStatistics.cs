using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;
using Images.Application.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace Images.Infrastructure.Persistence;

/// <summary>
/// The operations view's figures (FR-12.3) from indexes only: the count deltas, the oldest pending
/// row by <c>ix_images_status_created_at</c>, the outcomes by <c>ix_image_events_created_at</c>.
/// </summary>
internal sealed class ImageStatistics(ImagesDbContext db) : IImageStatistics
{
    public async Task<IReadOnlyDictionary<ImageStatus, long>> CountsByStatusAsync(CancellationToken cancellationToken)
    {
        // The deltas name a status as its column does: the contract's name.
        var sums = await db.ImageCountDeltas.AsNoTracking()
            .GroupBy(d => d.Status)
            .Select(g => new { Status = g.Key, Count = g.Sum(d => d.Delta) })
            .ToDictionaryAsync(g => g.Status, g => g.Count, cancellationToken);
        return Enum.GetValues<ImageStatus>().ToDictionary(s => s, s => sums.GetValueOrDefault(s.ToContract()));
    }

    public async Task<DateTimeOffset?> OldestPendingAsync(CancellationToken cancellationToken) =>
        await db.Images.AsNoTracking()
            .Where(i => i.Status == ImageStatus.Pending)
            .OrderBy(i => i.CreatedAt)
            .Select(i => (DateTimeOffset?)i.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken);

    public async Task<IReadOnlyList<ProcessedInMinute>> ProcessedPerMinuteAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var rows = await db.Database.SqlQuery<MinuteRow>($"""
            SELECT date_trunc('minute', created_at) AS "Minute",
                   count(*) FILTER (WHERE event_type = {WebhookEventTypes.Completed}) AS "Completed",
                   count(*) FILTER (WHERE event_type = {WebhookEventTypes.Failed}) AS "Failed"
            FROM image_events
            WHERE created_at >= {since}
              AND event_type IN ({WebhookEventTypes.Completed}, {WebhookEventTypes.Failed})
            GROUP BY 1
            """).ToListAsync(cancellationToken);
        return [.. rows.Select(r => new ProcessedInMinute(r.Minute, r.Completed, r.Failed))];
    }

    private sealed class MinuteRow
    {
        public DateTimeOffset Minute { get; set; }

        public long Completed { get; set; }

        public long Failed { get; set; }
    }
}
