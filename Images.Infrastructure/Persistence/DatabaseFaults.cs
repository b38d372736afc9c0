using System.Net.Sockets;
using Npgsql;

namespace Images.Infrastructure.Persistence;

/// <summary>
/// Tells a database that is away (refused, broken or timed-out connections, a server shutting down
/// or starting, too many connections, a full disk) from a fault of the request or the code: the
/// first is answered 503 with Retry-After and waited out by processing (NFR-9), the second is a bug.
/// </summary>
public static class DatabaseFaults
{
    public static bool IsUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException postgres:
                    // 08: connection exceptions; 53: insufficient resources; 57P01-57P03: admin
                    // shutdown, crash shutdown, cannot connect now; 40P01 deadlock (retry).
                    return postgres.IsTransient
                        || postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                        || postgres.SqlState.StartsWith("53", StringComparison.Ordinal)
                        || postgres.SqlState is "57P01" or "57P02" or "57P03" or "40P01";
                case NpgsqlException:
                    // Without a server error code: the connection itself failed (refused, reset,
                    // timed out, the pool exhausted while the server does not answer).
                    return true;
                case SocketException:
                    return true;
            }
        }

        return false;
    }
}
