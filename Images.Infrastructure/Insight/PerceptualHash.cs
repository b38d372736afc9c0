namespace Images.Infrastructure.Insight;

/// <summary>
/// FR-9.2: the classic DCT perceptual hash (pHash). The sample is composited over white, reduced to
/// a 32x32 luma image (BT.601 weights) by exact area averaging (aspect ignored, as pHash does), its
/// 2-D DCT-II taken, and the 8x8 low frequencies next to the DC term (rows and columns 1-8, as
/// pHash.org does, so no coefficient is the DC) compared with their median: bit 8*y+x is 1 when the
/// coefficient is above it. Resizing, recompression and re-encoding move few of those 64 bits.
/// </summary>
public static class PerceptualHash
{
    private const int Size = 32;
    private static readonly double[,] Cosines = BuildCosines();

    public static ulong Compute(int w, int h, ReadOnlySpan<byte> rgba)
    {
        var luma = Luma32(w, h, rgba);

        // Separable DCT-II: rows, then columns (only the 9x9 low corner is needed).
        var rows = new double[Size, 9];
        for (var y = 0; y < Size; y++)
        {
            for (var u = 0; u < 9; u++)
            {
                double sum = 0;
                for (var x = 0; x < Size; x++)
                {
                    sum += luma[y * Size + x] * Cosines[u, x];
                }

                rows[y, u] = sum;
            }
        }

        var coefficients = new double[64];
        for (var v = 1; v <= 8; v++)
        {
            for (var u = 1; u <= 8; u++)
            {
                double sum = 0;
                for (var y = 0; y < Size; y++)
                {
                    sum += rows[y, u] * Cosines[v, y];
                }

                coefficients[(v - 1) * 8 + (u - 1)] = sum;
            }
        }

        var sorted = (double[])coefficients.Clone();
        Array.Sort(sorted);
        var median = (sorted[31] + sorted[32]) / 2;
        ulong hash = 0;
        for (var i = 0; i < 64; i++)
        {
            if (coefficients[i] > median)
            {
                hash |= 1UL << i;
            }
        }

        return hash;
    }

    /// <summary>32x32 luma (0-255) over white, each cell the exact area average of the source pixels it covers.</summary>
    internal static double[] Luma32(int w, int h, ReadOnlySpan<byte> rgba)
    {
        var sourceLuma = new double[w * h];
        for (int i = 0, j = 0; i < w * h; i++, j += 4)
        {
            var alpha = rgba[j + 3] / 255.0;
            var y = 0.299 * rgba[j] + 0.587 * rgba[j + 1] + 0.114 * rgba[j + 2];
            sourceLuma[i] = y * alpha + 255 * (1 - alpha);
        }

        var xs = Coverage(w);
        var ys = Coverage(h);
        var result = new double[Size * Size];
        for (var ty = 0; ty < Size; ty++)
        {
            for (var tx = 0; tx < Size; tx++)
            {
                double sum = 0, weight = 0;
                foreach (var (sy, wy) in ys[ty])
                {
                    foreach (var (sx, wx) in xs[tx])
                    {
                        sum += sourceLuma[sy * w + sx] * wx * wy;
                        weight += wx * wy;
                    }
                }

                result[ty * Size + tx] = weight > 0 ? sum / weight : 255;
            }
        }

        return result;
    }

    /// <summary>For each of the 32 target cells, the source pixels it overlaps and by how much.</summary>
    private static List<(int Index, double Weight)>[] Coverage(int source)
    {
        var cells = new List<(int, double)>[Size];
        var step = source / (double)Size;
        for (var t = 0; t < Size; t++)
        {
            cells[t] = [];
            var start = t * step;
            var end = start + step;
            for (var s = (int)Math.Floor(start); s < Math.Min(source, (int)Math.Ceiling(end)); s++)
            {
                var overlap = Math.Min(end, s + 1) - Math.Max(start, s);
                if (overlap > 1e-9)
                {
                    cells[t].Add((s, overlap));
                }
            }
        }

        return cells;
    }

    private static double[,] BuildCosines()
    {
        var table = new double[9, Size];
        for (var u = 0; u < 9; u++)
        {
            for (var x = 0; x < Size; x++)
            {
                table[u, x] = Math.Cos(Math.PI * u * (2 * x + 1) / (2.0 * Size));
            }
        }

        return table;
    }
}
