using Images.Tests.Support;
using Npgsql;

namespace Images.Tests.MigrationService;

/// <summary>NFR-5: the one-shot migrator applies the schema and exits 0, or exits non-zero with a reason.</summary>
public class MigrationServiceTests
{
    private static async Task<(int ExitCode, string Output)> RunAsync(IDictionary<string, string> environment)
    {
        var (exitCode, output, error) = await RepositoryFiles.RunAsync(
            "dotnet", [Path.Combine(AppContext.BaseDirectory, "Images.MigrationService.dll")], TimeSpan.FromSeconds(90), environment);
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
}
