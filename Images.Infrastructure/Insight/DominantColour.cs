namespace Images.Infrastructure.Insight;

/// <summary>
/// FR-9.1: the dominant colour as the mode of a histogram: every pixel of the sample that is at
/// least half opaque falls in one of 4,096 bins (4 bits per channel); the fullest bin wins (ties: the
/// lower bin index) and its pixels' mean is the answer, <c>#rrggbb</c>. A mode rather than a mean:
/// a red car on grey tarmac is grey, not a muddy brown. A sample with no opaque pixel gives the
/// mean of all its pixels' colours.
/// </summary>
public static class DominantColour
{
    public static string Compute(int w, int h, ReadOnlySpan<byte> rgba)
    {
        var counts = new int[4096];
        var sums = new long[4096 * 3];
        for (int i = 0, j = 0; i < w * h; i++, j += 4)
        {
            if (rgba[j + 3] < 128)
            {
                continue;
            }

            var bin = ((rgba[j] >> 4) << 8) | ((rgba[j + 1] >> 4) << 4) | (rgba[j + 2] >> 4);
            counts[bin]++;
            sums[bin * 3] += rgba[j];
            sums[bin * 3 + 1] += rgba[j + 1];
            sums[bin * 3 + 2] += rgba[j + 2];
        }

        var best = 0;
        for (var b = 1; b < counts.Length; b++)
        {
            if (counts[b] > counts[best])
            {
                best = b;
            }
        }

        if (counts[best] == 0)
        {
            long r = 0, g = 0, bl = 0;
            for (int i = 0, j = 0; i < w * h; i++, j += 4)
            {
                r += rgba[j];
                g += rgba[j + 1];
                bl += rgba[j + 2];
            }

            var n = Math.Max(1, w * h);
            return Hex((int)(r / n), (int)(g / n), (int)(bl / n));
        }

        var c = counts[best];
        return Hex((int)((sums[best * 3] + c / 2) / c), (int)((sums[best * 3 + 1] + c / 2) / c), (int)((sums[best * 3 + 2] + c / 2) / c));
    }

    private static string Hex(int r, int g, int b) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"#{r:x2}{g:x2}{b:x2}");
}
