using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace Images.Api.Http;

/// <summary>
/// Where a download's strong ETag comes from (FR-8.4, ADR 10). Every ETag of this service is the
/// quoted lower-case hex SHA-256 of exactly the bytes a 200 sends, so equal tags mean equal bytes:
/// <list type="bullet">
/// <item>an original: its content hash (FR-1.7), known without reading a byte;</item>
/// <item>a thumbnail or another derived file whose digest is not stored: the bytes are hashed before
/// they are sent (derived files are small: a thumbnail is a few KB to a few hundred).</item>
/// </list>
/// </summary>
public abstract class EntityTagSource
{
    private EntityTagSource()
    {
    }

    /// <summary>The SHA-256 of the content is known (64 hex digits).</summary>
    public static EntityTagSource Sha256(string hex)
    {
        if (hex is not { Length: 64 } || !hex.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException("A SHA-256 digest is 64 hex digits.", nameof(hex));
        }

        return new Known(hex.ToLowerInvariant());
    }

    /// <summary>
    /// Hash the content before sending it: a seekable stream is read twice, any other is buffered
    /// in memory first. For small derived files only.
    /// </summary>
    public static EntityTagSource HashOfContent { get; } = new Hashed();

    /// <summary>The tag, and the stream to send from now on (the same one, rewound, or a buffer of it).</summary>
    internal abstract Task<(EntityTagHeaderValue Tag, Stream Content)> ResolveAsync(Stream content, CancellationToken cancellationToken);

    private static EntityTagHeaderValue Tag(string hex) => new($"\"{hex}\"");

    private sealed class Known(string hex) : EntityTagSource
    {
        internal override Task<(EntityTagHeaderValue Tag, Stream Content)> ResolveAsync(Stream content, CancellationToken cancellationToken) =>
            Task.FromResult((Tag(hex), content));
    }

    private sealed class Hashed : EntityTagSource
    {
        internal override async Task<(EntityTagHeaderValue Tag, Stream Content)> ResolveAsync(Stream content, CancellationToken cancellationToken)
        {
            if (content.CanSeek)
            {
                var start = content.Position;
                var digest = await SHA256.HashDataAsync(content, cancellationToken);
                content.Position = start;
                return (Tag(Convert.ToHexStringLower(digest)), content);
            }

            var buffer = new MemoryStream();
            await using (content)
            {
                await content.CopyToAsync(buffer, cancellationToken);
            }

            buffer.Position = 0;
            return (Tag(Convert.ToHexStringLower(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))), buffer);
        }
    }
}
