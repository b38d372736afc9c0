using System.Globalization;
using System.Text;
using Images.Application.Common;
using Images.Application.Images.Upload;
using Images.Domain.Images;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Images.Api.Endpoints;

/// <summary>
/// Reads the upload's multipart body section by section, without form buffering: the file part is
/// handed to the use case as a stream (sniffed, then hashed while written to disk), so no request
/// holds a whole file in memory (FR-1.2, NFR-3).
/// </summary>
internal static class UploadForm
{
    private const int MaxFieldBytes = 16 * 1024;

    /// <summary>What the form may add to the file: boundaries, part headers, tags and ttl_hours.</summary>
    public const long FormAllowanceBytes = 1024 * 1024;

    /// <summary>The file, up to 20 tags as repeated fields, ttl_hours, and a few to spare.</summary>
    public const int MaxParts = 32;

    public static async Task<UploadImageCommand> ReadAsync(HttpRequest request, UploadImageHandler handler, long maxUploadBytes, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) ||
            !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) ||
            HeaderUtilities.RemoveQuotes(mediaType.Boundary).Length == 0)
        {
            throw new ValidationException("file", "A multipart/form-data body with a 'file' part is required.");
        }

        // Our own limits apply while streaming, after the type check (FR-1.3): the file's (FR-1.2) and
        // the whole body's, however its parts are arranged (NFR-8). Kestrel's would answer 413 on the
        // Content-Length alone, before the type is known, so its 30 MB default is lifted.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        var body = new BoundedReadStream(request.Body, maxUploadBytes + FormAllowanceBytes);
        var reader = new MultipartReader(HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value!, body)
        {
            HeadersLengthLimit = 16 * 1024,
            HeadersCountLimit = 16,
        };

        StagedUpload? file = null;
        var tags = new List<string>();
        int? ttlHours = null;
        try
        {
            MultipartSection? section;
            var parts = 0;
            while ((section = await reader.ReadNextSectionAsync(cancellationToken)) is not null)
            {
                if (++parts > MaxParts)
                {
                    throw new RequestTooLargeException($"An upload has at most {MaxParts} parts (the file, tags and ttl_hours).");
                }

                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) ||
                    !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                if (name == "file")
                {
                    if (file is not null)
                    {
                        throw new ValidationException("file", "Send exactly one file per upload.");
                    }

                    var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                    file = await handler.StageAsync(section.Body, fileName, section.ContentType, cancellationToken);
                }
                else if (name == "tags")
                {
                    AddTags(tags, await ReadFieldAsync(section, "tags", cancellationToken));
                }
                else if (name == "ttl_hours")
                {
                    ttlHours = ParseTtl(await ReadFieldAsync(section, "ttl_hours", cancellationToken));
                }
            }

            if (file is null)
            {
                throw new ValidationException("file", "The 'file' part is required.");
            }

            return new UploadImageCommand(file, tags, ttlHours);
        }
        catch
        {
            if (file is not null)
            {
                await file.DisposeAsync();
            }

            throw;
        }
    }

    private static void AddTags(List<string> tags, string value)
    {
        // Tags come as repeated fields or one comma-separated value; an empty field means none.
        if (string.IsNullOrWhiteSpace(value))
        {
            return;
        }

        tags.AddRange(value.Split(','));
        if (tags.Count > Tags.MaxCount)
        {
            throw new ValidationException("tags", $"At most {Tags.MaxCount} tags are allowed; got {tags.Count}.");
        }
    }

    private static int? ParseTtl(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var hours) ||
            hours < TimeToLive.MinHours || hours > TimeToLive.MaxHours)
        {
            throw new ValidationException("ttl_hours", $"ttl_hours must be an integer between {TimeToLive.MinHours} and {TimeToLive.MaxHours}; got '{value}'.");
        }

        return hours;
    }

    private static async Task<string> ReadFieldAsync(MultipartSection section, string field, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxFieldBytes + 1];
        var read = await section.Body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
        if (read > MaxFieldBytes)
        {
            throw new ValidationException(field, $"The {field} field is longer than {MaxFieldBytes} bytes.");
        }

        return Encoding.UTF8.GetString(buffer, 0, read);
    }
}

/// <summary>
/// The request body as the form reader sees it: past <c>limit</c> bytes it throws
/// <see cref="RequestTooLargeException"/> (413), whichever part the bytes belong to (NFR-8).
/// </summary>
internal sealed class BoundedReadStream(Stream inner, long limit) : Stream
{
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Count(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(int read)
    {
        _read += read;
        if (_read > limit)
        {
            throw new RequestTooLargeException(
                $"The request body exceeds {limit} bytes: the upload limit (IMG_MAX_UPLOAD_BYTES) plus {UploadForm.FormAllowanceBytes} bytes for the form.");
        }

        return read;
    }
}
