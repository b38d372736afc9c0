namespace Images.Tests.Support;

/// <summary>
/// A ThumbHash reader written for the tests from the format's description, independently of the
/// encoder under test: the header's fields, the approximate aspect ratio and the average colour
/// (the DC terms of L, P and Q turned back into RGB), and a full decode to a small RGBA image.
/// </summary>
public static class ThumbHashDecoder
{
    public sealed record Header(double LDc, double PDc, double QDc, double LScale, bool HasAlpha, double PScale, double QScale, bool IsLandscape, int Lx, int Ly);

    public static Header Read(byte[] hash)
    {
        var header24 = hash[0] | (hash[1] << 8) | (hash[2] << 16);
        var header16 = hash[3] | (hash[4] << 8);
        var hasAlpha = (header24 >> 23) != 0;
        var isLandscape = (header16 >> 15) != 0;
        var lx = isLandscape ? (hasAlpha ? 5 : 7) : header16 & 7;
        var ly = isLandscape ? header16 & 7 : (hasAlpha ? 5 : 7);
        return new Header(
            (header24 & 63) / 63.0,
            ((header24 >> 6) & 63) / 31.5 - 1,
            ((header24 >> 12) & 63) / 31.5 - 1,
            ((header24 >> 18) & 31) / 31.0,
            hasAlpha,
            ((header16 >> 3) & 63) / 63.0,
            ((header16 >> 9) & 63) / 63.0,
            isLandscape,
            lx,
            ly);
    }

    /// <summary>Width over height, as precise as ThumbHash keeps it (the number of L terms each way).</summary>
    public static double AspectRatio(byte[] hash)
    {
        var h = Read(hash);
        return h.Lx / (double)h.Ly;
    }

    /// <summary>The average colour, 0-255 per channel.</summary>
    public static (double R, double G, double B) AverageColour(byte[] hash)
    {
        var h = Read(hash);
        var b = h.LDc - 2.0 / 3.0 * h.PDc;
        var r = (3 * h.LDc - b + h.QDc) / 2;
        var g = r - h.QDc;
        static double Clamp(double v) => Math.Clamp(v, 0, 1) * 255;
        return (Clamp(r), Clamp(g), Clamp(b));
    }

    /// <summary>The whole placeholder: an RGB image of at most 32 px, from every coefficient.</summary>
    public static (int W, int H, double[] Rgb) Decode(byte[] hash)
    {
        var h = Read(hash);
        var lx = Math.Max(3, h.Lx);
        var ly = Math.Max(3, h.Ly);
        var acStart = h.HasAlpha ? 6 : 5;
        var index = 0;
        List<double> Channel(int nx, int ny, double scale)
        {
            var list = new List<double>();
            for (var cy = 0; cy < ny; cy++)
            {
                for (var cx = cy > 0 ? 0 : 1; cx * ny < nx * (ny - cy); cx++)
                {
                    var nibble = (hash[acStart + (index >> 1)] >> ((index & 1) * 4)) & 15;
                    index++;
                    list.Add((nibble / 7.5 - 1) * scale);
                }
            }

            return list;
        }

        var lAc = Channel(lx, ly, h.LScale);
        var pAc = Channel(3, 3, h.PScale * 1.25);
        var qAc = Channel(3, 3, h.QScale * 1.25);
        var ratio = AspectRatio(hash);
        var w = (int)Math.Round(ratio > 1 ? 32 : 32 * ratio);
        var height = (int)Math.Round(ratio > 1 ? 32 / ratio : 32);
        var rgb = new double[w * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < w; x++)
            {
                double l = h.LDc, p = h.PDc, q = h.QDc;
                var j = 0;
                for (var cy = 0; cy < ly; cy++)
                {
                    for (var cx = cy > 0 ? 0 : 1; cx * ly < lx * (ly - cy); cx++, j++)
                    {
                        l += lAc[j] * Math.Cos(Math.PI / w * (x + 0.5) * cx) * Math.Cos(Math.PI / height * (y + 0.5) * cy) * 2;
                    }
                }

                j = 0;
                for (var cy = 0; cy < 3; cy++)
                {
                    for (var cx = cy > 0 ? 0 : 1; cx < 3 - cy; cx++, j++)
                    {
                        var f = Math.Cos(Math.PI / w * (x + 0.5) * cx) * Math.Cos(Math.PI / height * (y + 0.5) * cy) * 2;
                        p += pAc[j] * f;
                        q += qAc[j] * f;
                    }
                }

                var b = l - 2.0 / 3.0 * p;
                var r = (3 * l - b + q) / 2;
                var g = r - q;
                var o = (y * w + x) * 3;
                rgb[o] = Math.Clamp(r, 0, 1) * 255;
                rgb[o + 1] = Math.Clamp(g, 0, 1) * 255;
                rgb[o + 2] = Math.Clamp(b, 0, 1) * 255;
            }
        }

        return (w, height, rgb);
    }
}
