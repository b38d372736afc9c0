using Images.Application.Common.Settings;
using Images.Contracts;
using Npgsql;

namespace Images.Infrastructure.Persistence;

/// <summary>
/// The database connection (NFR-2): Aspire's ConnectionStrings:imagesdb when it is injected,
/// otherwise the seed's IMG_DB_* (user and password have no default); IMG_DB_POOL_SIZE plus
/// IMG_DB_MAX_OVERFLOW is the most connections one process opens, as SQLAlchemy's pool had it.
/// </summary>
public sealed class DatabaseOptions : IImgSettings<DatabaseOptions>
{
    public const string ConnectionStringName = ResourceNames.Database;

    public string ConnectionString { get; set; } = string.Empty;

    public int PoolSize { get; set; } = 10;

    public int MaxOverflow { get; set; } = 20;

    public static void Bind(DatabaseOptions options, ImgSettingsReader reader)
    {
        options.PoolSize = reader.Int("IMG_DB_POOL_SIZE", options.PoolSize, 1, 1000);
        options.MaxOverflow = reader.Int("IMG_DB_MAX_OVERFLOW", options.MaxOverflow, 0, 1000);

        var injected = reader.Configuration[$"ConnectionStrings:{ConnectionStringName}"];
        NpgsqlConnectionStringBuilder builder;
        if (!string.IsNullOrWhiteSpace(injected))
        {
            try
            {
                builder = new NpgsqlConnectionStringBuilder(injected);
            }
            catch (ArgumentException ex)
            {
                reader.Require(false, $"ConnectionStrings:{ConnectionStringName} is not a valid PostgreSQL connection string: {ex.Message}");
                return;
            }
        }
        else
        {
            var user = reader.Raw("IMG_DB_USER");
            var password = reader.Configuration["IMG_DB_PASSWORD"];
            reader.Require(user is not null, "IMG_DB_USER is required (it has no default) unless ConnectionStrings__imagesdb is set.");
            reader.Require(!string.IsNullOrEmpty(password), "IMG_DB_PASSWORD is required (it has no default) unless ConnectionStrings__imagesdb is set.");
            builder = new NpgsqlConnectionStringBuilder
            {
                Host = reader.String("IMG_DB_HOST", "localhost"),
                Port = reader.Int("IMG_DB_PORT", 5432, 1, 65535),
                Database = reader.String("IMG_DB_NAME", "images"),
                Username = user,
                Password = password,
            };
        }

        builder.MaxPoolSize = options.PoolSize + options.MaxOverflow;
        builder.Pooling = true;
        options.ConnectionString = builder.ConnectionString;
    }
}
