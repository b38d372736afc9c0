using System.Data.Common;
using Images.Application.Abstractions;
using Images.Domain.Images;
using Images.Infrastructure.Persistence;
using Images.Infrastructure.Storage;
using Images.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Xunit.Abstractions;

namespace Images.Tests.Infrastructure;

/// <summary>
/// 100,000 images (filenames <c>bulk-N.jpg</c>, one of 1,000 tags each, newest = highest N) and a
/// few planted ones whose filenames hold LIKE's wildcards, analysed once.
/// </summary>
public sealed class ListTableFixture : DatabaseFixture
{
    public const int Rows = 100_000;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await ExecuteAsync($"""
            INSERT INTO images (id, filename, content_type, size_bytes, content_hash, format, status, created_at, updated_at,
                                thumbnail_available, attempts, tags)
            SELECT gen_random_uuid(), 'bulk-' || i || '.jpg', 'image/jpeg', 1000, lpad(to_hex(i), 64, '0'), 'JPEG',
                   CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'completed' END,
                   timestamptz '2026-01-01' + i * interval '1 second', now(), true, 1,
                   ARRAY['tag-' || (i % 1000), CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END]
            FROM generate_series(1, {Rows}) AS i
            """);
        await ExecuteAsync("""
            INSERT INTO images (id, filename, content_type, size_bytes, content_hash, format, status, created_at, updated_at,
                                thumbnail_available, attempts, tags)
            VALUES (gen_random_uuid(), '100%_Real Holiday.PNG', 'image/png', 10, repeat('b', 64), 'PNG', 'pending', timestamptz '2027-01-01', now(), false, 0, '{Beach}'),
                   (gen_random_uuid(), '100x real holiday.png', 'image/png', 10, repeat('c', 64), 'PNG', 'pending', timestamptz '2027-01-02', now(), false, 0, '{beach}')
            """);
        await ExecuteAsync("ANALYZE images");
    }
}

/// <summary>
/// FR-12.3: the list filters by tag (exact), by a filename substring (ignoring case, LIKE's
/// wildcards taken literally) and by status, together, with the total of every match; on 100,000
/// rows EXPLAIN of the repository's own queries shows the GIN indexes counting the matches, and no scan of the table.
/// </summary>
public sealed class ImageListFilterTests(ListTableFixture table, ITestOutputHelper output) : IClassFixture<ListTableFixture>
{
    private (ImageRepository Repository, ImagesDbContext Db, CapturedCommands Commands) NewRepository()
    {
        var commands = new CapturedCommands();
        var db = new ImagesDbContext(new DbContextOptionsBuilder<ImagesDbContext>().UseImagesDatabase(table.ConnectionString).AddInterceptors(commands).Options);
        var root = Path.Combine(Path.GetTempPath(), "images-list-" + Guid.NewGuid().ToString("N")[..8]);
        var repository = new ImageRepository(db, new FileSystemBlobStore(Options.Create(new StorageOptions { BaseDirectory = root })),
            new EfUnitOfWork(db, NullLogger<EfUnitOfWork>.Instance), NullLogger<ImageRepository>.Instance);
        return (repository, db, commands);
    }

    [Fact]
    public async Task ATagFilterListsExactlyTheImagesWithThatTagNewestFirst_FR12_3()
    {
        var (repository, db, _) = NewRepository();
        await using (db)
        {
            var (page, total) = await repository.ListAsync(new ImageListFilter(Tag: "tag-7"), 0, 3, CancellationToken.None);

            Assert.Equal(100, total);
            Assert.Equal(["bulk-99007.jpg", "bulk-98007.jpg", "bulk-97007.jpg"], page.Select(i => i.Filename));
            Assert.All(page, i => Assert.Contains("tag-7", i.Tags));

            // Exact and case-sensitive, as tags are (FR-1.5): a prefix or another case is another tag.
            Assert.Equal(0, (await repository.ListAsync(new ImageListFilter(Tag: "tag-"), 0, 3, CancellationToken.None)).Total);
            Assert.Equal(["100%_Real Holiday.PNG"], (await repository.ListAsync(new ImageListFilter(Tag: "Beach"), 0, 10, CancellationToken.None)).Items.Select(i => i.Filename));
        }
    }

    [Fact]
    public async Task AFilenameFilterMatchesASubstringIgnoringCaseAndTakesWildcardsLiterally_FR12_3()
    {
        var (repository, db, _) = NewRepository();
        await using (db)
        {
            var (page, total) = await repository.ListAsync(new ImageListFilter(FilenameContains: "BULK-9999"), 0, 20, CancellationToken.None);
            Assert.Equal(11, total); // bulk-9999.jpg and bulk-99990..99999.jpg
            Assert.Equal("bulk-99999.jpg", page[0].Filename);

            Assert.Equal(2, (await repository.ListAsync(new ImageListFilter(FilenameContains: "real holiday"), 0, 20, CancellationToken.None)).Total);
            // '%' and '_' are characters to find, not LIKE's wildcards.
            Assert.Equal(["100%_Real Holiday.PNG"], (await repository.ListAsync(new ImageListFilter(FilenameContains: "0%_r"), 0, 20, CancellationToken.None)).Items.Select(i => i.Filename));
            Assert.Equal(0, (await repository.ListAsync(new ImageListFilter(FilenameContains: "bulk_1"), 0, 20, CancellationToken.None)).Total);
        }
    }

    [Fact]
    public async Task FiltersCombineWithTheStatusAndEachOther_FR12_3()
    {
        var (repository, db, _) = NewRepository();
        await using (db)
        {
            var (page, total) = await repository.ListAsync(new ImageListFilter(ImageStatus.Failed, "even", "bulk-12"), 0, 100, CancellationToken.None);

            // Failed (every tenth) and so even: bulk-120, bulk-1200, 1210 .. 1290, bulk-12000, 12010 .. 12990.
            Assert.Equal(1 + 10 + 100, total);
            Assert.All(page, i => Assert.Equal(ImageStatus.Failed, i.Status));
            Assert.All(page, i => Assert.StartsWith("bulk-12", i.Filename, StringComparison.Ordinal));
            Assert.Equal(page.OrderByDescending(i => i.CreatedAt).Select(i => i.Id), page.Select(i => i.Id));
        }
    }

    [Theory]
    [InlineData("tag-7", null, "ix_images_tags")]
    [InlineData(null, "bulk-9999", "ix_images_filename_trgm")]
    [InlineData(null, "holiday", "ix_images_filename_trgm")]
    public async Task TheFilteredPageAndItsTotalComeFromIndexesNeverAScan_FR12_3_NFR3(string? tag, string? filename, string index)
    {
        var (repository, db, commands) = NewRepository();
        await using (db)
        {
            await repository.ListAsync(new ImageListFilter(Tag: tag, FilenameContains: filename), 0, 20, CancellationToken.None);
        }

        var queries = commands.Commands.Where(c => c.Text.Contains("FROM images", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, queries.Count); // the page, then its total
        var page = await ExplainAsync(queries[0].Text, queries[0].Parameters);
        var total = await ExplainAsync(queries[1].Text, queries[1].Parameters);
        output.WriteLine($"page:\n{page}\ntotal:\n{total}");
        // The page may also walk the newest-first index and stop at 20 matches (the planner's
        // choice for a frequent value); the total must find every match from the GIN index.
        Assert.DoesNotContain("Seq Scan on images", page, StringComparison.Ordinal);
        Assert.Contains(index, total, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan on images", total, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheLastPageOfAHundredThousandWalksTheNewestFirstIndex_FR12_3_NFR3()
    {
        var (repository, db, commands) = NewRepository();
        await using (db)
        {
            var (page, total) = await repository.ListAsync(ImageListFilter.All, ListTableFixture.Rows - 18, 20, CancellationToken.None);
            Assert.Equal(ListTableFixture.Rows + 2, total);
            Assert.Equal(["bulk-2.jpg", "bulk-1.jpg"], page.TakeLast(2).Select(i => i.Filename));
        }

        var query = commands.Commands.First(c => c.Text.Contains("FROM images", StringComparison.Ordinal));
        var plan = await ExplainAsync(query.Text, query.Parameters);
        output.WriteLine(plan);
        Assert.Contains("ix_images_created_at", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan on images", plan, StringComparison.Ordinal);
    }

    private async Task<string> ExplainAsync(string sql, IReadOnlyList<NpgsqlParameter> parameters)
    {
        await using var connection = new NpgsqlConnection(table.ConnectionString);
        await connection.OpenAsync();
        await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, connection);
        explain.Parameters.AddRange(parameters.ToArray());
        var lines = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join('\n', lines);
    }

    /// <summary>Every command EF sends, with copies of its parameters, to be explained afterwards.</summary>
    private sealed class CapturedCommands : DbCommandInterceptor
    {
        public List<(string Text, IReadOnlyList<NpgsqlParameter> Parameters)> Commands { get; } = [];

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Capture(command);
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
        {
            Capture(command);
            return base.ScalarExecutingAsync(command, eventData, result, cancellationToken);
        }

        private void Capture(DbCommand command) =>
            Commands.Add((command.CommandText, [.. command.Parameters.Cast<NpgsqlParameter>().Select(p => p.Clone())]));
    }
}
