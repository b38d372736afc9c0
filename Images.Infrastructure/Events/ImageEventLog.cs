using Images.Application.Abstractions;
using Images.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Images.Infrastructure.Events;

/// <summary>Reads the <c>image_events</c> table for the event stream (FR-12.1); wake-ups come from <see cref="ImageEventListener"/>.</summary>
internal sealed class ImageEventLog(ImagesDbContext db, ImageEventSignal signal) : IImageEventLog
{
    /// <summary>
    /// Taken (two-int form, a key space apart from the hashes' bigint locks) by every writer of an
    /// event right before it inserts one, and held until its transaction ends: positions are then
    /// handed out in commit order, and a reader never sees n+1 before n (ADR 16).
    /// </summary>
    public const int LockClass = 16;

    public const int LockKey = 1;

    /// <summary>The PostgreSQL notification channel that a committed event sends on.</summary>
    public const string Channel = "image_events";

    public async Task<IReadOnlyList<ImageEvent>> ReadAfterAsync(long position, int limit, CancellationToken cancellationToken) =>
        await db.Set<ImageEventEntity>().AsNoTracking()
            .Where(e => e.Id > position)
            .OrderBy(e => e.Id)
            .Take(limit)
            .Select(e => new ImageEvent(e.Id, e.EventType, e.Payload))
            .ToListAsync(cancellationToken);

    public async Task<ImageEventLogBounds> BoundsAsync(CancellationToken cancellationToken)
    {
        var latest = await db.Set<ImageEventEntity>().MaxAsync(e => (long?)e.Id, cancellationToken);
        var purged = await db.Set<ImageEventHorizonEntity>().Select(h => (long?)h.PurgedThrough).FirstOrDefaultAsync(cancellationToken) ?? 0;
        return new ImageEventLogBounds(Math.Max(latest ?? 0, purged), purged);
    }

    public Task NextAppend() => signal.Next;
}
