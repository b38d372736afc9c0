using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;

namespace Images.Infrastructure.Persistence;

/// <summary>
/// The one Npgsql configuration of the DbContext, for the hosts (on top of Aspire's integration),
/// the design-time factory and the tests. Commands are traced only inside a trace (a request, a
/// task): the polling of background loops would otherwise start a root trace per tick and bury the
/// uploads in the dashboard (NFR-10). Opening a physical connection is not traced at all: it has no
/// filter, pooling makes it rare, and a loop that opens one would start a root trace of its own.
/// </summary>
public static class ImagesDbContextOptions
{
    public const string MigrationsHistoryTable = "__ef_migrations_history";

    public static TBuilder UseImagesDatabase<TBuilder>(this TBuilder builder, string connectionString)
        where TBuilder : DbContextOptionsBuilder
    {
        builder.UseNpgsql(connectionString, Configure);
        return builder;
    }

    /// <summary>The same, where the connection string is set already (Aspire's AddNpgsqlDbContext).</summary>
    public static DbContextOptionsBuilder UseImagesDatabase(this DbContextOptionsBuilder builder) => builder.UseNpgsql(Configure);

    private static void Configure(NpgsqlDbContextOptionsBuilder npgsql) => npgsql
        .MigrationsHistoryTable(MigrationsHistoryTable)
        .ConfigureDataSource(dataSource => dataSource.ConfigureTracing(tracing => tracing
            .ConfigureCommandFilter(_ => Activity.Current is not null)
            .ConfigureBatchFilter(_ => Activity.Current is not null)
            .EnablePhysicalOpenTracing(false)));
}
