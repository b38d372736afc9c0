using Npgsql;

namespace Images.Tests.Support;

/// <summary>One image row deleted, by which DELETE statement, in which transaction, by which client.</summary>
public sealed record DeletedRow(Guid ImageId, long Statement, long Transaction, string Application);

/// <summary>
/// What the database saw of deletions from <c>images</c>, recorded by the database itself: a
/// statement-level trigger with a transition table writes each deleted row with its statement's
/// number, its transaction id and the client's application_name. It observes from outside the hosts
/// how sweeps cut their work into statements and transactions (FR-4.3) and who deleted what (FR-4.5).
/// </summary>
public sealed class DeletionLog(DatabaseFixture database)
{
    public static async Task<DeletionLog> InstallAsync(DatabaseFixture database)
    {
        await database.ExecuteAsync("""
            CREATE TABLE test_deleted_images (image_id uuid NOT NULL, statement bigint NOT NULL, transaction_id bigint NOT NULL, application text NOT NULL);
            CREATE SEQUENCE test_delete_statements;
            CREATE FUNCTION test_record_deleted_images() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                statement_number bigint := nextval('test_delete_statements');
            BEGIN
                INSERT INTO test_deleted_images
                SELECT id, statement_number, txid_current(), current_setting('application_name') FROM deleted_rows;
                RETURN NULL;
            END $$;
            CREATE TRIGGER test_record_deleted_images AFTER DELETE ON images
                REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION test_record_deleted_images();
            """);
        return new DeletionLog(database);
    }

    /// <summary>Every deleted row so far, in statement order.</summary>
    public async Task<List<DeletedRow>> ReadAsync()
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT image_id, statement, transaction_id, application FROM test_deleted_images ORDER BY statement, image_id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<DeletedRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new DeletedRow(reader.GetGuid(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3)));
        }

        return rows;
    }
}
