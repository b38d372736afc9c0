using Images.Application.Abstractions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Images.Infrastructure.Persistence;

/// <summary>
/// Renews processing leases (NFR-9) with a context of its own, beside the use case's unit of work.
/// Only the lease moves: the row's version stays, so the holder's outcome saves without conflict,
/// while a holder that lost the image (another process reclaimed it) finds no row to renew.
/// </summary>
internal sealed class ProcessingLeases(IServiceScopeFactory scopes) : IProcessingLeases
{
    public async Task<bool> RenewAsync(Guid imageId, string holder, DateTimeOffset until, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ImagesDbContext>();
        var renewed = await db.Database.ExecuteSqlAsync($"""
            UPDATE images SET lease_expires_at = {until}
            WHERE id = {imageId} AND status = 'processing' AND lease_holder = {holder}
            """, cancellationToken);
        return renewed == 1;
    }
}
