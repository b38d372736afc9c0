using System.Text.Json;
using Images.Infrastructure.Insight;
using Images.Tests.Support;

namespace Images.Tests.WebConsole;

/// <summary>
/// FR-9.1 in the console: its ThumbHash module (Images.Api/ConsoleApp/thumbhash.js, run by Node)
/// decodes what the service's encoder writes into the same picture as the tests' own reader
/// (<see cref="ThumbHashDecoder"/>, written separately from the format's description), and keeps
/// an image's transparency.
/// </summary>
public class ThumbHashModuleTests
{
    private static byte[] Picture(int w, int h, Func<int, int, (byte R, byte G, byte B, byte A)> pixel)
    {
        var rgba = new byte[w * h * 4];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var (r, g, b, a) = pixel(x, y);
                rgba[(y * w + x) * 4] = r;
                rgba[(y * w + x) * 4 + 1] = g;
                rgba[(y * w + x) * 4 + 2] = b;
                rgba[(y * w + x) * 4 + 3] = a;
            }
        }

        return ThumbHash.Encode(w, h, rgba);
    }

    private static async Task<List<(int W, int H, byte[] Rgba)>> DecodeInNodeAsync(IEnumerable<byte[]> hashes)
    {
        var module = new Uri(RepositoryFiles.PathOf("Images.Api", "ConsoleApp", "thumbhash.js")).AbsoluteUri;
        var script = $$"""
            import { decodeThumbHash } from '{{module}}';
            const hashes = JSON.parse(process.argv[1]);
            console.log(JSON.stringify(hashes.map(b => { const { w, h, rgba } = decodeThumbHash(Buffer.from(b, 'base64')); return { w, h, rgba: Array.from(rgba) }; })));
            """;
        var (exitCode, output, error) = await RepositoryFiles.RunAsync(
            "node", ["--input-type=module", "-e", script, JsonSerializer.Serialize(hashes.Select(Convert.ToBase64String))], TimeSpan.FromSeconds(30));
        Assert.True(exitCode == 0, error);
        return [.. JsonDocument.Parse(output).RootElement.EnumerateArray().Select(e => (
            e.GetProperty("w").GetInt32(),
            e.GetProperty("h").GetInt32(),
            e.GetProperty("rgba").EnumerateArray().Select(v => (byte)v.GetInt32()).ToArray()))];
    }

    [Fact]
    public async Task TheConsoleDecodesPlaceholdersAsTheTestsReaderDoes_FR9_1()
    {
        var random = new Random(1641);
        byte[][] hashes =
        [
            Picture(80, 60, (x, y) => ((byte)(x * 3), (byte)(y * 4), (byte)(255 - x * 2), 255)),
            Picture(60, 90, (x, y) => (x / 20 + y / 30) % 2 == 0 ? ((byte)220, (byte)40, (byte)30, (byte)255) : ((byte)20, (byte)90, (byte)200, (byte)255)),
            Picture(100, 100, (_, _) => ((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), 255)),
            Picture(100, 25, (x, y) => ((byte)(255 - x), (byte)(y * 10), 128, 255)),
        ];

        var decoded = await DecodeInNodeAsync(hashes);

        for (var i = 0; i < hashes.Length; i++)
        {
            var (w, h, rgb) = ThumbHashDecoder.Decode(hashes[i]);
            var js = decoded[i];
            Assert.Equal((w, h), (js.W, js.H));
            var worst = 0.0;
            for (var p = 0; p < w * h; p++)
            {
                for (var c = 0; c < 3; c++)
                {
                    worst = Math.Max(worst, Math.Abs(js.Rgba[p * 4 + c] - rgb[p * 3 + c]));
                }

                Assert.Equal(255, js.Rgba[p * 4 + 3]);
            }

            Assert.True(worst <= 1.0, $"picture {i}: a channel differs by {worst}");
        }
    }

    [Fact]
    public async Task APlaceholderKeepsTheImagesTransparency_FR9_1()
    {
        // Left half transparent, right half opaque orange.
        var hash = Picture(64, 64, (x, _) => x < 32 ? ((byte)0, (byte)0, (byte)0, (byte)0) : ((byte)250, (byte)140, (byte)20, (byte)255));

        var (w, h, rgba) = (await DecodeInNodeAsync([hash]))[0];

        double Alpha(int from, int to) => Enumerable.Range(0, h).SelectMany(y => Enumerable.Range(from, to - from).Select(x => (double)rgba[(y * w + x) * 4 + 3])).Average();
        Assert.True(Alpha(0, w / 4) < 80, $"left quarter alpha {Alpha(0, w / 4):F0}");
        Assert.True(Alpha(3 * w / 4, w) > 180, $"right quarter alpha {Alpha(3 * w / 4, w):F0}");
    }
}
