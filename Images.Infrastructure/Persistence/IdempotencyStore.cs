using System.Text.Json;
using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Infrastructure.Webhooks;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Images.Infrastructure.Persistence;

/// <summary>
/// Idempotency keys in PostgreSQL (FR-9.4, ADR 13). The claim is an insert on the (scope, key)
/// primary key inside the upload's transaction: a second request with the same key blocks on the
/// first one's uncommitted row until that transaction ends, then sees its stored response (or, if
/// it rolled back, claims the key itself). So one key makes one image, however many retries race.
/// The wait is bounded by a lock timeout; past it the answer is 409.
/// </summary>
internal sealed class IdempotencyStore(ImagesDbContext db) : IIdempotencyStore
{
    private const string LockNotAvailable = "55P03";

    public async Task<IdempotencyRecord?> ClaimAsync(string scope, string key, string fingerprint, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        try
        {
            await db.Database.ExecuteSqlAsync($"SET LOCAL lock_timeout = '10s'", cancellationToken);
            var claimed = await db.Database.SqlQuery<int>($"""
                INSERT INTO idempotency_keys (scope, key, fingerprint, created_at, expires_at)
                VALUES ({scope}, {key}, {fingerprint}, {now}, {expiresAt})
                ON CONFLICT (scope, key) DO UPDATE
                    SET fingerprint = excluded.fingerprint, created_at = excluded.created_at, expires_at = excluded.expires_at,
                        response_status = NULL, response_body = NULL
                    WHERE idempotency_keys.expires_at <= {now}
                RETURNING 1 AS "Value"
                """).ToListAsync(cancellationToken);
            await db.Database.ExecuteSqlAsync($"SET LOCAL lock_timeout = DEFAULT", cancellationToken);
            if (claimed.Count > 0)
            {
                return null;
            }
        }
        catch (Exception ex) when (IsLockTimeout(ex))
        {
            throw new IdempotencyKeyInProgressException(
                "A request with this Idempotency-Key is still being processed; retry in a moment.");
        }

        var record = await db.IdempotencyKeys.AsNoTracking()
            .FirstAsync(r => r.Scope == scope && r.Key == key, cancellationToken);
        if (record.ResponseBody is null || record.ResponseStatus is null)
        {
            // Only committed together with its response; kept as a guard.
            throw new IdempotencyKeyInProgressException("A request with this Idempotency-Key is still being processed; retry in a moment.");
        }

        var response = JsonSerializer.Deserialize<ImageDto>(record.ResponseBody, ContractJson.Options)!;
        return new IdempotencyRecord(record.Fingerprint, record.ResponseStatus.Value, response);
    }

    public async Task CompleteAsync(string scope, string key, int status, ImageDto response, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(response, ContractJson.Options);
        await db.Database.ExecuteSqlAsync($"""
            UPDATE idempotency_keys SET response_status = {status}, response_body = {body}
            WHERE scope = {scope} AND key = {key}
            """, cancellationToken);
    }

    private static bool IsLockTimeout(Exception exception) =>
        exception is PostgresException { SqlState: LockNotAvailable } ||
        exception.InnerException is PostgresException { SqlState: LockNotAvailable };
}
