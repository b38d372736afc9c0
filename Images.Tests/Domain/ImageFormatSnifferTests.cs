using Images.Domain.Images;

namespace Images.Tests.Domain;

public class ImageFormatSnifferTests
{
    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10 }, ImageFormat.Jpeg)]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0 }, ImageFormat.Png)]
    [InlineData(new byte[] { 0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x45, 0x42, 0x50 }, ImageFormat.Webp)]
    [InlineData(new byte[] { 0x49, 0x49, 42, 0, 8, 0, 0, 0 }, ImageFormat.Tiff)]
    [InlineData(new byte[] { 0x4D, 0x4D, 0, 42, 0, 0, 0, 8 }, ImageFormat.Tiff)]
    [InlineData(new byte[] { 0x49, 0x49, 43, 0, 8, 0, 0, 0 }, ImageFormat.Tiff)]
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61 }, ImageFormat.Gif)] // GIF89a
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x37, 0x61, 1, 0 }, ImageFormat.Gif)] // GIF87a
    public void DetectsTheFormatFromMagicBytes_FR1_1(byte[] header, ImageFormat expected) =>
        Assert.Equal(expected, ImageFormatSniffer.Detect(header));

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0xFF, 0xD8 })]
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x38, 0x61 })] // GIF88a
    [InlineData(new byte[] { 0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x41, 0x56, 0x45 })] // RIFF WAVE
    [InlineData(new byte[] { 0x68, 0x65, 0x6C, 0x6C, 0x6F })] // "hello"
    [InlineData(new byte[] { 0x25, 0x50, 0x44, 0x46 })] // %PDF
    public void RejectsEverythingElse(byte[] header) => Assert.Null(ImageFormatSniffer.Detect(header));

    [Theory]
    [InlineData("image/jpeg", ImageFormat.Jpeg)]
    [InlineData("image/jpg", ImageFormat.Jpeg)]
    [InlineData("IMAGE/PNG; charset=binary", ImageFormat.Png)]
    [InlineData("image/webp", ImageFormat.Webp)]
    [InlineData("image/tiff", ImageFormat.Tiff)]
    [InlineData("image/gif", ImageFormat.Gif)]
    [InlineData("image/heic", ImageFormat.Heic)]
    [InlineData("image/heif", ImageFormat.Heic)]
    [InlineData("image/avif", ImageFormat.Avif)]
    public void MapsDeclaredContentTypes(string contentType, ImageFormat expected) =>
        Assert.Equal(expected, ImageFormatExtensions.FromContentType(contentType));

    [Theory]
    [InlineData("text/plain")]
    [InlineData("image/bmp")]
    [InlineData("")]
    public void UnknownContentTypesMapToNothing(string contentType) => Assert.Null(ImageFormatExtensions.FromContentType(contentType));

    /// <summary>An ISO-BMFF `ftyp` box: size, "ftyp", major brand, minor version, compatible brands.</summary>
    private static byte[] Ftyp(string major, params string[] compatible)
    {
        var brands = new[] { major, "\0\0\0\0" }.Concat(compatible).ToArray();
        var box = new byte[8 + (4 * brands.Length)];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
        "ftyp"u8.CopyTo(box.AsSpan(4));
        for (var i = 0; i < brands.Length; i++)
        {
            System.Text.Encoding.ASCII.GetBytes(brands[i]).CopyTo(box, 8 + (4 * i));
        }

        return [.. box, .. new byte[] { 0, 0, 0, 8 }, .. "meta"u8];
    }

    [Theory]
    [InlineData("heic", new[] { "mif1", "heic" }, ImageFormat.Heic)] // an iPhone photo
    [InlineData("heix", new string[0], ImageFormat.Heic)]
    [InlineData("hevc", new[] { "msf1" }, ImageFormat.Heic)] // a HEIF sequence
    [InlineData("mif1", new[] { "heic" }, ImageFormat.Heic)] // the brand that matters is a compatible one
    [InlineData("mif1", new string[0], ImageFormat.Heic)] // generic HEIF: libheif decides
    [InlineData("avif", new[] { "mif1", "miaf" }, ImageFormat.Avif)]
    [InlineData("avis", new[] { "msf1", "miaf" }, ImageFormat.Avif)] // an AVIF sequence
    [InlineData("mif1", new[] { "miaf", "MA1B", "avif" }, ImageFormat.Avif)] // AVIF wins over mif1
    [InlineData("isom", new[] { "iso2", "avc1", "mp41" }, null)] // an MP4 video
    [InlineData("qt  ", new string[0], null)] // a QuickTime movie
    [InlineData("crx ", new[] { "isom" }, null)] // a Canon raw
    public void DetectsHeifAndAvifFromTheirFtypBrands_FR8_6(string major, string[] compatible, ImageFormat? expected) =>
        Assert.Equal(expected, ImageFormatSniffer.Detect(Ftyp(major, compatible)));

    [Fact]
    public void ReadsCompatibleBrandsOnlyInsideTheFtypBoxAndTheHeader()
    {
        // "avif" right after a box that ends before it is not a brand of this file.
        var notInBox = Ftyp("isom", "mp41");
        Assert.Null(ImageFormatSniffer.Detect([.. notInBox, .. "avif"u8]));
        // A box claiming more brands than the header holds is read up to the header's end.
        var huge = Ftyp("isom", [.. Enumerable.Repeat("mp41", 200), "heic"]);
        Assert.Null(ImageFormatSniffer.Detect(huge.AsSpan(0, ImageFormatSniffer.HeaderLength)));
        Assert.Null(ImageFormatSniffer.Detect(Ftyp("heic").AsSpan(0, 12)));
    }

    [Fact]
    public void ContentHashKeepsTheFullDigestAndDerivesALockKey()
    {
        var hash = ContentHash.FromBytes(System.Security.Cryptography.SHA256.HashData("abc"u8));
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hash.Value);
        Assert.Equal(unchecked((long)0xba7816bf8f01cfeaUL), hash.LockKey);
        Assert.Throws<FormatException>(() => ContentHash.Parse("xyz"));
    }
}
