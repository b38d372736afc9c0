using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using Images.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

// FR-9.2 at scale (bench/similar.sh): the real schema (EF migrations), N perceptual hashes, and the
// repository's own similar-images query (PhashBands.Sql with PhashBands.Parameters) timed from the
// client at several distances.
//   dotnet Images.SimilarBench.dll <connection string> <rows> [planner settings, e.g. "random_page_cost=1.1"]
// Rows: 90 % uniformly random 64-bit hashes, 10 % in clusters (1,000 centres, each member within 10
// bits of its centre: photos that resemble each other); then 200 query hashes, each with 12 planted
// near-duplicates at distances 1..12. Prints the index sizes, then one line per distance:
// distance, p50 ms, p95 ms, mean rows returned, candidates (rows the band indexes gave), plan.
var connectionString = args[0];
var rows = int.Parse(args[1], CultureInfo.InvariantCulture);
var settings = args.Skip(2).ToArray();
var random = new Random(20261201);

await using (var db = new ImagesDbContext(new DbContextOptionsBuilder<ImagesDbContext>().UseImagesDatabase(connectionString).Options))
{
    await db.Database.MigrateAsync();
}

await using var connection = new NpgsqlConnection(connectionString);
await connection.OpenAsync();

async Task ExecAsync(string sql, params NpgsqlParameter[] parameters)
{
    await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 3600 };
    command.Parameters.AddRange(parameters);
    await command.ExecuteNonQueryAsync();
}

async Task<object?> ScalarAsync(string sql)
{
    await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 3600 };
    return await command.ExecuteScalarAsync();
}

const string Columns = "id, filename, content_type, size_bytes, content_hash, format, status, created_at, updated_at, thumbnail_available, attempts, tags, phash, placeholder, dominant_color";
var filled = Stopwatch.StartNew();
if (Convert.ToInt64(await ScalarAsync("SELECT count(*) FROM images"), CultureInfo.InvariantCulture) == 0)
{
    var uniform = rows * 9 / 10;
    await ExecAsync($"""
        INSERT INTO images ({Columns})
        SELECT gen_random_uuid(), 'bench', 'image/jpeg', 1000, lpad(to_hex(i), 64, '0'), 'JPEG', 'completed', now(), now(), true, 1, '{"{}"}',
               ('x' || substr(md5(i::text || 'phash'), 1, 16))::bit(64)::bigint, 'AAAA', '#000000'
        FROM generate_series(1, {uniform}) AS i
        """);

    // Clusters: centre XOR a random mask of at most 10 bits, through COPY.
    var centres = Enumerable.Range(0, 1000).Select(_ => (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63)).ToArray();
    await using (var writer = await connection.BeginBinaryImportAsync("COPY images (id, filename, content_type, size_bytes, content_hash, format, status, created_at, updated_at, thumbnail_available, attempts, tags, phash, placeholder, dominant_color) FROM STDIN (FORMAT BINARY)"))
    {
        for (var i = 0; i < rows - uniform; i++)
        {
            var hash = Flip(centres[i % centres.Length], random.Next(0, 11));
            await WriteRowAsync(writer, Guid.NewGuid(), hash, "cluster");
        }

        await writer.CompleteAsync();
    }
}

// Queries with planted near-duplicates.
var queries = new List<ulong>();
await using (var writer = await connection.BeginBinaryImportAsync($"COPY images ({Columns}) FROM STDIN (FORMAT BINARY)"))
{
    for (var q = 0; q < 200; q++)
    {
        var query = (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63);
        queries.Add(query);
        for (var d = 1; d <= 12; d++)
        {
            await WriteRowAsync(writer, Guid.NewGuid(), Flip(query, d), "planted");
        }
    }

    await writer.CompleteAsync();
}

await ExecAsync("VACUUM ANALYZE images");
Console.WriteLine($"rows\t{await ScalarAsync("SELECT count(*) FROM images")}\tfilled in {filled.Elapsed.TotalSeconds:F0} s");
Console.WriteLine($"table\t{await ScalarAsync("SELECT pg_size_pretty(pg_relation_size('images'))")}");
long bandBytes = 0;
for (var band = 0; band < PhashBands.Count; band++)
{
    var size = Convert.ToInt64(await ScalarAsync($"SELECT pg_relation_size('ix_images_phash_b{band}')"), CultureInfo.InvariantCulture);
    bandBytes += size;
    Console.WriteLine($"ix_images_phash_b{band}\t{size / 1024.0 / 1024:F1} MiB");
}

Console.WriteLine($"band indexes\t{bandBytes / 1024.0 / 1024:F1} MiB ({(double)bandBytes / rows:F1} bytes a row)");
// As the repository does (PhashBands.PlannerSetting), unless told otherwise ("default" for none).
if (settings.Length == 0)
{
    settings = ["enable_seqscan = off"];
}

foreach (var setting in settings.Where(s => s != "default"))
{
    await ExecAsync($"SET {setting}");
    Console.WriteLine($"SET {setting}");
}

Console.WriteLine("distance\tp50_ms\tp95_ms\tmean_rows\tmean_candidates\tplan");
foreach (var distance in new[] { 4, 8, 12, 16 })
{
    // The plan and the candidate count of the first query (EXPLAIN ANALYZE), then the timings.
    var plan = new List<string>();
    await using (var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + PhashBands.Sql, connection))
    {
        explain.Parameters.AddRange(PhashBands.Parameters(queries[0], Guid.Empty, distance, 20));
        await using var reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(0));
        }
    }

    var shape = plan.Any(l => l.Contains("Seq Scan", StringComparison.Ordinal)) ? "Seq Scan"
        : plan.Any(l => l.Contains("Bitmap Index Scan on ix_images_phash_b", StringComparison.Ordinal)) ? "Bitmap Index Scans on the 4 bands"
        : "other";
    var times = new List<double>();
    long returned = 0;
    long candidates = 0;
    for (var round = 0; round < queries.Count + 20; round++)
    {
        var query = queries[round % queries.Count];
        await using var command = new NpgsqlCommand(PhashBands.Sql, connection);
        command.Parameters.AddRange(PhashBands.Parameters(query, Guid.Empty, distance, 20));
        var started = Stopwatch.GetTimestamp();
        var count = 0;
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                count++;
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (round >= 20)
        {
            times.Add(elapsed);
            returned += count;
        }
    }

    // Candidates: rows any band matched (what the bitmap heap scan reads), for 20 queries.
    for (var q = 0; q < 20; q++)
    {
        var parameters = PhashBands.Parameters(queries[q], Guid.Empty, distance, 20);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM images WHERE phash_b0 = ANY(@b0) OR phash_b1 = ANY(@b1) OR phash_b2 = ANY(@b2) OR phash_b3 = ANY(@b3)", connection);
        count.Parameters.AddRange(parameters.Where(p => p.ParameterName.StartsWith('b')).ToArray());
        candidates += Convert.ToInt64(await count.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    times.Sort();
    Console.WriteLine(string.Join('\t',
        distance,
        Percentile(times, 0.50).ToString("F2", CultureInfo.InvariantCulture),
        Percentile(times, 0.95).ToString("F2", CultureInfo.InvariantCulture),
        ((double)returned / times.Count).ToString("F1", CultureInfo.InvariantCulture),
        (candidates / 20).ToString(CultureInfo.InvariantCulture),
        shape));
}

static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

ulong Flip(ulong hash, int bits)
{
    var result = hash;
    while (BitOperations.PopCount(result ^ hash) < bits)
    {
        result ^= 1UL << random.Next(64);
    }

    return result;
}

static async Task WriteRowAsync(NpgsqlBinaryImporter writer, Guid id, ulong hash, string name)
{
    await writer.StartRowAsync();
    await writer.WriteAsync(id, NpgsqlTypes.NpgsqlDbType.Uuid);
    await writer.WriteAsync(name, NpgsqlTypes.NpgsqlDbType.Varchar);
    await writer.WriteAsync("image/jpeg", NpgsqlTypes.NpgsqlDbType.Varchar);
    await writer.WriteAsync(1000L, NpgsqlTypes.NpgsqlDbType.Bigint);
    await writer.WriteAsync(id.ToString("N") + id.ToString("N"), NpgsqlTypes.NpgsqlDbType.Char);
    await writer.WriteAsync("JPEG", NpgsqlTypes.NpgsqlDbType.Varchar);
    await writer.WriteAsync("completed", NpgsqlTypes.NpgsqlDbType.Varchar);
    await writer.WriteAsync(DateTimeOffset.UtcNow, NpgsqlTypes.NpgsqlDbType.TimestampTz);
    await writer.WriteAsync(DateTimeOffset.UtcNow, NpgsqlTypes.NpgsqlDbType.TimestampTz);
    await writer.WriteAsync(true, NpgsqlTypes.NpgsqlDbType.Boolean);
    await writer.WriteAsync(1, NpgsqlTypes.NpgsqlDbType.Integer);
    await writer.WriteAsync(Array.Empty<string>(), NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text);
    await writer.WriteAsync(unchecked((long)hash), NpgsqlTypes.NpgsqlDbType.Bigint);
    await writer.WriteAsync("AAAA", NpgsqlTypes.NpgsqlDbType.Varchar);
    await writer.WriteAsync("#000000", NpgsqlTypes.NpgsqlDbType.Varchar);
}
