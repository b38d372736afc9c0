using Images.Application.Abstractions;

namespace Images.Infrastructure.Insight;

/// <summary>
/// The managed path's insight sample: the same area average as the native library's
/// (Images.Native/src/analyse.c), from the RGBA pixels the ImageSharp processor already decoded and
/// reduced: at most 100 px on the longest side, colours averaged by alpha.
/// </summary>
public static class PixelSampler
{
    public static PixelSample Sample(int width, int height, ReadOnlySpan<byte> rgba)
    {
        int w = width, h = height;
        const int max = PixelSample.MaxSide;
        if (width > max || height > max)
        {
            if (width >= height)
            {
                w = max;
                h = (int)(((long)height * max + width / 2) / width);
            }
            else
            {
                h = max;
                w = (int)(((long)width * max + height / 2) / height);
            }

            w = Math.Max(1, w);
            h = Math.Max(1, h);
        }

        var sums = new double[w * h * 5];
        for (var y = 0; y < height; y++)
        {
            var ty = (int)((long)y * h / height);
            for (var x = 0; x < width; x++)
            {
                var tx = (int)((long)x * w / width);
                var p = (y * width + x) * 4;
                double a = rgba[p + 3];
                var s = (ty * w + tx) * 5;
                sums[s] += rgba[p] * a;
                sums[s + 1] += rgba[p + 1] * a;
                sums[s + 2] += rgba[p + 2] * a;
                sums[s + 3] += a;
                sums[s + 4] += 1;
            }
        }

        var output = new byte[w * h * 4];
        for (var i = 0; i < w * h; i++)
        {
            var s = i * 5;
            for (var c = 0; c < 3; c++)
            {
                output[i * 4 + c] = sums[s + 3] > 0 ? (byte)Math.Min(255, sums[s + c] / sums[s + 3] + 0.5) : (byte)0;
            }

            output[i * 4 + 3] = sums[s + 4] > 0 ? (byte)Math.Min(255, sums[s + 3] / sums[s + 4] + 0.5) : (byte)0;
        }

        return new PixelSample(w, h, output);
    }
}
