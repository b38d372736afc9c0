using Images.Tests.Support;
using Npgsql;

namespace Images.Tests.MigrationService;

/// <summary>NFR-5: the one-shot migrator applies the schema and exits 0, or exits non-zero with a reason.</summary>
public class MigrationServiceTests
{
    private static async Task<(int ExitCode, string Output)> RunAsync(IDictionary<string, string> environment, params string[] arguments)
    {
        var (exitCode, output, error) = await RepositoryFiles.RunAsync(
            "dotnet", [Path.Combine(AppContext.BaseDirectory, "Images.MigrationService.dll"), .. arguments], TimeSpan.FromSeconds(90), environment);
        return (exitCode, output + error);
    }

    [Fact]
    public async Task AppliesTheMigrationsFromImgDbVariablesAndExitsZero()
    {
        var server = await PostgresServer.GetAsync();
        var database = "images_migrate_" + Guid.NewGuid().ToString("N")[..10];

        var (exitCode, output) = await RunAsync(new Dictionary<string, string>
        {
            ["IMG_DB_HOST"] = "127.0.0.1",
            ["IMG_DB_PORT"] = server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["IMG_DB_NAME"] = database,
            ["IMG_DB_USER"] = PostgresServer.User,
            ["IMG_DB_PASSWORD"] = PostgresServer.Password,
        });

        Assert.True(exitCode == 0, output);
        Assert.Contains("InitialSchema", output, StringComparison.Ordinal);
        await using var connection = new NpgsqlConnection(server.ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM images", connection);
        Assert.Equal(0L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task MissingCredentialsStopItNamingTheVariables_NFR2()
    {
        var (exitCode, output) = await RunAsync(new Dictionary<string, string>());
        Assert.NotEqual(0, exitCode);
        Assert.Contains("IMG_DB_USER", output, StringComparison.Ordinal);
        Assert.Contains("IMG_DB_PASSWORD", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableDatabaseExitsNonZero()
    {
        var (exitCode, output) = await RunAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__imagesdb"] = "Host=127.0.0.1;Port=1;Database=x;Username=x;Password=x;Timeout=1",
        });
        Assert.NotEqual(0, exitCode);
        Assert.Contains("migration failed", output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task WaitForSchemaExitsZeroOnlyOnceTheMigrationsAreApplied_NFR5()
    {
        // The api and worker pods' init container (manifests): it waits for the schema, it never applies it.
        var server = await PostgresServer.GetAsync();
        var database = "images_wait_" + Guid.NewGuid().ToString("N")[..10];
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__imagesdb"] = server.ConnectionString(database),
        };

        // No database yet, then an empty one: still waiting when the timeout ends, exit non-zero.
        var (noDatabase, noDatabaseOutput) = await RunAsync(environment, "--wait-for-schema=2");
        Assert.True(noDatabase != 0, noDatabaseOutput);
        Assert.Contains("not ready after 2 s", noDatabaseOutput, StringComparison.Ordinal);
        await using (var admin = new NpgsqlConnection(server.ConnectionString("postgres")))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        var (empty, emptyOutput) = await RunAsync(environment, "--wait-for-schema=2");
        Assert.True(empty != 0, emptyOutput);
        Assert.Contains("pending migrations", emptyOutput, StringComparison.Ordinal);
        Assert.Contains("InitialSchema", emptyOutput, StringComparison.Ordinal);
        await using (var connection = new NpgsqlConnection(server.ConnectionString(database)))
        {
            await connection.OpenAsync();
            await using var tables = new NpgsqlCommand("SELECT count(*) FROM information_schema.tables WHERE table_name = 'images'", connection);
            Assert.Equal(0L, await tables.ExecuteScalarAsync());
        }

        // Once the migrator has run, the wait ends at once with exit code 0.
        var (migrated, migrateOutput) = await RunAsync(environment);
        Assert.True(migrated == 0, migrateOutput);
        var (ready, readyOutput) = await RunAsync(environment, "--wait-for-schema");
        Assert.True(ready == 0, readyOutput);
        Assert.Contains("schema is up to date", readyOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnInvalidWaitTimeoutStopsItNamingTheArgument()
    {
        var (exitCode, output) = await RunAsync(new Dictionary<string, string>(), "--wait-for-schema=soon");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("--wait-for-schema", output, StringComparison.Ordinal);
    }
}
