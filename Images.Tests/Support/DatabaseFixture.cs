using Images.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Images.Tests.Support;

/// <summary>A fresh, migrated database per test class on the shared throw-away cluster (a copy of a migrated template).</summary>
public class DatabaseFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    /// <summary>The cluster this database lives on.</summary>
    public PostgresServer Server => _server!;

    /// <summary>The shared cluster; a fixture that stops its server gets one of its own.</summary>
    protected virtual Task<PostgresServer> StartServerAsync() => PostgresServer.GetAsync();

    public string DatabaseName { get; } = "images_test_" + Guid.NewGuid().ToString("N")[..12];

    public virtual string ConnectionString => _server!.ConnectionString(DatabaseName);

    public virtual async Task InitializeAsync()
    {
        _server = await StartServerAsync();
        await _server.CreateMigratedDatabaseAsync(DatabaseName);
    }

    public virtual async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_server!.ConnectionString("postgres"));
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{DatabaseName}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    public ImagesDbContext CreateDbContext() =>
        new(new DbContextOptionsBuilder<ImagesDbContext>().UseImagesDatabase(ConnectionString).Options);

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<string> ScalarTextAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection))
        {
            await off.ExecuteNonQueryAsync();
        }

        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join("\n", lines);
    }
}
