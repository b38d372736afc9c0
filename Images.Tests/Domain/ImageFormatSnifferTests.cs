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
    public void DetectsTheFormatFromMagicBytes_FR1_1(byte[] header, ImageFormat expected) =>
        Assert.Equal(expected, ImageFormatSniffer.Detect(header));

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0xFF, 0xD8 })]
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61 })] // GIF
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
    public void MapsDeclaredContentTypes(string contentType, ImageFormat expected) =>
        Assert.Equal(expected, ImageFormatExtensions.FromContentType(contentType));

    [Theory]
    [InlineData("text/plain")]
    [InlineData("image/gif")]
    [InlineData("")]
    public void UnknownContentTypesMapToNothing(string contentType) => Assert.Null(ImageFormatExtensions.FromContentType(contentType));

    [Fact]
    public void ContentHashKeepsTheFullDigestAndDerivesALockKey()
    {
        var hash = ContentHash.FromBytes(System.Security.Cryptography.SHA256.HashData("abc"u8));
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hash.Value);
        Assert.Equal(unchecked((long)0xba7816bf8f01cfeaUL), hash.LockKey);
        Assert.Throws<FormatException>(() => ContentHash.Parse("xyz"));
    }
}
