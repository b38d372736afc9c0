using System.Numerics;

namespace Images.Infrastructure.Persistence;

/// <summary>
/// Multi-index hashing of the 64-bit perceptual hash (FR-9.2, ADR 14): four bands of 16 bits, each a
/// generated integer column with a btree index. Two hashes within distance d differ in at least one
/// band by at most floor(d / 4) bits (pigeonhole: four bands each differing by more would add up to
/// more than d), so the candidates are the rows one of whose bands equals a value within that radius
/// of the query's band (at most 2,517 values per band at d = 16); PostgreSQL ORs the four bitmap
/// index scans and the exact distance is checked on the candidates only.
/// </summary>
public static class PhashBands
{
    public const int Count = 4;
    public const int Bits = 16;
    private const int Mask = (1 << Bits) - 1;

    /// <summary>Masks of 16 bits by popcount: MasksWithin[r] are all masks with at most r bits set.</summary>
    private static readonly int[][] MasksWithin = BuildMasks();

    public static string Column(int band) => $"phash_b{band}";

    public static string Expression(int band) => $"((phash >> {band * Bits}) & {Mask})::integer";

    public static int Value(ulong hash, int band) => (int)((hash >> (band * Bits)) & Mask);

    /// <summary>The band values within floor(maxDistance / 4) bits of the hash's band.</summary>
    public static int[] Candidates(ulong hash, int band, int maxDistance)
    {
        var value = Value(hash, band);
        var masks = MasksWithin[Math.Min(maxDistance / Count, Bits)];
        var values = new int[masks.Length];
        for (var i = 0; i < masks.Length; i++)
        {
            values[i] = value ^ masks[i];
        }

        return values;
    }

    /// <summary>
    /// Run before <see cref="Sql"/> in its transaction. PostgreSQL's planner prices the exact distance
    /// check and the index probes so that beyond distance 8 it picks a sequential scan of every row,
    /// which bench/similar.sh measured 2 to 8 times slower than the band indexes at every distance
    /// (ADR 14); FR-9.2 forbids the scan anyway. LOCAL: it ends with the transaction.
    /// </summary>
    public const string PlannerSetting = "SET LOCAL enable_seqscan = off";

    /// <summary>
    /// The similar-images query: candidates from the band indexes, checked by exact Hamming distance,
    /// nearest first. Parameters: hash (bigint), b0..b3 (integer[]), max_distance, excluded (uuid), limit.
    /// </summary>
    public const string Sql = """
        SELECT id AS "Id", bit_count((phash # @hash)::bit(64))::integer AS "Distance"
        FROM images
        WHERE (phash_b0 = ANY(@b0) OR phash_b1 = ANY(@b1) OR phash_b2 = ANY(@b2) OR phash_b3 = ANY(@b3))
          AND bit_count((phash # @hash)::bit(64)) <= @max_distance
          AND id <> @excluded
        ORDER BY 2, 1
        LIMIT @limit
        """;

    /// <summary>The parameters of <see cref="Sql"/> (the EXPLAIN test and bench/similar.sh run the same).</summary>
    public static Npgsql.NpgsqlParameter[] Parameters(ulong hash, Guid excluded, int maxDistance, int limit)
    {
        var parameters = new List<Npgsql.NpgsqlParameter>
        {
            new("hash", NpgsqlTypes.NpgsqlDbType.Bigint) { Value = unchecked((long)hash) },
            new("max_distance", NpgsqlTypes.NpgsqlDbType.Integer) { Value = maxDistance },
            new("excluded", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = excluded },
            new("limit", NpgsqlTypes.NpgsqlDbType.Integer) { Value = limit },
        };
        for (var band = 0; band < Count; band++)
        {
            parameters.Add(new($"b{band}", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Integer)
            {
                Value = Candidates(hash, band, maxDistance),
            });
        }

        return [.. parameters];
    }

    private static int[][] BuildMasks()
    {
        var byRadius = new int[Bits + 1][];
        for (var r = 0; r <= Bits; r++)
        {
            var list = new List<int>();
            for (var m = 0; m <= Mask; m++)
            {
                if (BitOperations.PopCount((uint)m) <= r)
                {
                    list.Add(m);
                }
            }

            byRadius[r] = [.. list];
        }

        return byRadius;
    }
}
