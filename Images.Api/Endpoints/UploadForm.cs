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

    public static async Task<UploadImageCommand> ReadAsync(HttpRequest request, UploadImageHandler handler, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) ||
            !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) ||
            HeaderUtilities.RemoveQuotes(mediaType.Boundary).Length == 0)
        {
            throw new ValidationException("file", "A multipart/form-data body with a 'file' part is required.");
        }

        // Our own limit applies while streaming (after the type check, FR-1.3); lift Kestrel's 30 MB default.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        var reader = new MultipartReader(HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value!, request.Body)
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
            while ((section = await reader.ReadNextSectionAsync(cancellationToken)) is not null)
            {
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
