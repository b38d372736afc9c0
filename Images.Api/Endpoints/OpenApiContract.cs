using System.Text.Json.Nodes;
using Images.Api.Http;
using Images.Application.Images.BatchProcess;
using Images.Application.Images.List;
using Images.Domain.Images;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Images.Api.Endpoints;

/// <summary>
/// Describes what the handlers read by hand (the streamed multipart form, query strings parsed for
/// 422 answers) with their real types and ranges, so the one OpenAPI document is complete (FR-6).
/// </summary>
internal static class OpenApiContract
{
    public static OpenApiOptions AddImagesContract(this OpenApiOptions options)
    {
        options.AddOperationTransformer((operation, context, _) =>
        {
            switch (context.Description.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName)
            {
                case nameof(ImagesEndpoints.UploadImage):
                    operation.RequestBody = UploadBody();
                    break;
                case nameof(ImagesEndpoints.ListImages):
                    Describe(operation, "offset", Integer(0, null, 0), "Items to skip.");
                    Describe(operation, "limit", Integer(1, ListImagesHandler.MaxLimit, ListImagesHandler.DefaultLimit), "Page size.");
                    Describe(operation, "status", Statuses(), "Only images in this processing status.");
                    break;
                case nameof(ImagesEndpoints.DownloadImage):
                    Describe(operation, "thumbnail", new OpenApiSchema { Type = JsonSchemaType.Boolean, Default = false }, "Stream the JPEG thumbnail instead of the original.");
                    DescribeDelivery(operation);
                    break;
                case nameof(SignedUrlEndpoints.CreateSignedUrl):
                    if (operation.RequestBody is OpenApiRequestBody body)
                    {
                        body.Required = false;
                        body.Description = "Optional: an empty body signs the original for an hour.";
                    }

                    break;
                case nameof(ImagesEndpoints.GetRendition):
                    Describe(operation, "name", new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[a-z][a-z0-9_-]{0,31}$" },
                        "A rendition configured by IMG_RENDITIONS (thumbnail always exists); an unknown one is answered with 404.");
                    Describe(operation, "format", new OpenApiSchema
                    {
                        Type = JsonSchemaType.String,
                        Enum = [.. Enum.GetValues<RenditionFormat>().Select(f => (JsonNode)JsonValue.Create(f.ContractName()))],
                    }, "The format, instead of negotiating it from Accept (png: images with alpha only). Another value is answered with 422.");
                    break;
            }

            foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
            {
                if (parameter.Name == "id")
                {
                    parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" };
                    parameter.Description = "The image id (UUID); a malformed one is answered with 422.";
                }
            }

            return Task.CompletedTask;
        });
        options.AddSchemaTransformer((schema, context, _) =>
        {
            if (context.JsonTypeInfo.Type == typeof(BatchProcessRequest) && schema.Properties is { } properties)
            {
                if (properties.TryGetValue("concurrency", out var concurrency) && concurrency is OpenApiSchema c)
                {
                    c.Minimum = "1";
                    c.Maximum = BatchProcessImagesHandler.MaxConcurrency.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    c.Default = BatchProcessImagesHandler.DefaultConcurrency;
                }

                if (properties.TryGetValue("image_ids", out var ids) && ids is OpenApiSchema i)
                {
                    i.MinItems = 1;
                    i.MaxItems = BatchProcessImagesHandler.MaxIds;
                }
            }

            if (context.JsonTypeInfo.Type == typeof(SignedUrlRequest) && schema.Properties is { } signed)
            {
                if (signed.TryGetValue("expires_in", out var expiresIn) && expiresIn is OpenApiSchema e)
                {
                    e.Minimum = UrlSigner.MinLifetimeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    e.Maximum = UrlSigner.MaxLifetimeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    e.Default = UrlSigner.DefaultLifetimeSeconds;
                    e.Description = "Seconds the URL works; default one hour, at most 7 days.";
                }

                if (signed.TryGetValue("rendition", out var rendition) && rendition is OpenApiSchema r)
                {
                    var names = context.ApplicationServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Images.Application.Common.ProcessingOptions>>().Value.Renditions;
                    r.Enum = [.. names.Select(n => (JsonNode)JsonValue.Create(n.Name))];
                    r.Description = "null (or absent): the original; otherwise a rendition's name.";
                }

                if (signed.TryGetValue("format", out var format) && format is OpenApiSchema f)
                {
                    f.Enum = [.. SignedUrlEndpoints.Formats.Select(n => (JsonNode)JsonValue.Create(n))];
                    f.Description = "For a rendition: the format to serve (else chosen from Accept). Not for the original.";
                }
            }

            if (context.JsonTypeInfo.Type == typeof(Images.Application.Common.ImageDto) && schema.Properties is { } image)
            {
                if (image.TryGetValue("format", out var imageFormat) && imageFormat is OpenApiSchema fmt)
                {
                    fmt.Enum = [.. Enum.GetValues<ImageFormat>().Select(v => (JsonNode)JsonValue.Create(v.ContractName()))];
                    fmt.Description = "Decided by the file's bytes at upload (FR-1.1, FR-8.6).";
                }

                if (image.TryGetValue("frames", out var frames) && frames is OpenApiSchema fr)
                {
                    fr.Description = "Frames or pages in the original's container (FR-8.6): an animated GIF's, WebP's or PNG's frames, an AVIF sequence's, a TIFF's pages, a HEIF's top-level images; 1 for a still image; read from the container without decoding, at most 100000 counted. Only the first is rendered. Null until processed.";
                }
            }

            if (context.JsonTypeInfo.Type == typeof(SignedUrlResponse) && schema.Properties is { } response)
            {
                if (response.TryGetValue("url", out var url) && url is OpenApiSchema u)
                {
                    u.Description = "A path (relative to the Api's address) carrying `expires` and `sig`; works without the API key until expires_at.";
                }
            }

            return Task.CompletedTask;
        });
        return options;
    }

    /// <summary>FR-8.4 / FR-8.5 on a download: the signed-URL parameters, the conditional and range headers, the validators.</summary>
    private static void DescribeDelivery(OpenApiOperation operation)
    {
        operation.Parameters ??= [];
        foreach (var (name, location, description) in new[]
                 {
                     (UrlSigner.ExpiresParameter, ParameterLocation.Query, "Signed URL (FR-8.5): expiry, Unix seconds. Only as given by POST .../signed-urls."),
                     (UrlSigner.SignatureParameter, ParameterLocation.Query, "Signed URL (FR-8.5): the signature; with it no API key is needed. A changed URL or an expired one is 403."),
                     ("If-None-Match", ParameterLocation.Header, "ETags (a list, `*`, weak forms compare equal): 304 when one matches."),
                     ("If-Modified-Since", ParameterLocation.Header, "HTTP date, used only without If-None-Match: 304 when not modified since."),
                     ("If-Match", ParameterLocation.Header, "ETags compared strongly: 412 when none matches."),
                     ("If-Unmodified-Since", ParameterLocation.Header, "HTTP date, used only without If-Match: 412 when modified since."),
                     ("Range", ParameterLocation.Header, "`bytes=first-last`, `bytes=first-` or `bytes=-suffix`: 206; unsatisfiable: 416; several ranges: the whole file (200)."),
                     ("If-Range", ParameterLocation.Header, "An ETag (strong match) or the exact Last-Modified: the range only if the file is that version, else the whole file."),
                 })
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = name,
                In = location,
                Required = false,
                Description = description,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }

        foreach (var status in new[] { "200", "206", "304" })
        {
            if (operation.Responses?.TryGetValue(status, out var found) == true && found is OpenApiResponse response)
            {
                response.Headers ??= new Dictionary<string, IOpenApiHeader>();
                response.Headers["ETag"] = Header("Strong: the quoted SHA-256 of the bytes (an original's is its content_hash).");
                response.Headers["Last-Modified"] = Header("The upload (original) or the completed processing (thumbnail).");
                response.Headers["Cache-Control"] = Header("`private, no-cache`: behind the API key, revalidated with the ETag.");
                if (status != "304")
                {
                    response.Headers["Accept-Ranges"] = Header("`bytes`.");
                }

                if (status == "206")
                {
                    response.Headers["Content-Range"] = Header("`bytes first-last/length`.");
                }
            }
        }
    }

    private static OpenApiHeader Header(string description) => new()
    {
        Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };

    private static OpenApiRequestBody UploadBody() => new()
    {
        Required = true,
        Description = "The image and its optional tags and time-to-live.",
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["multipart/form-data"] = new()
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { "file" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["file"] = new OpenApiSchema
                        {
                            Type = JsonSchemaType.String,
                            Format = "binary",
                            Description = "JPEG, PNG, WebP, TIFF, GIF, HEIC/HEIF or AVIF; decided by the magic bytes (an ISO-BMFF file by its `ftyp` brands).",
                        },
                        ["tags"] = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Array,
                            Items = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = Tags.MaxLength },
                            MaxItems = Tags.MaxCount,
                            Description = "Repeat the field, or give one comma-separated value.",
                        },
                        ["ttl_hours"] = Integer(TimeToLive.MinHours, TimeToLive.MaxHours, null),
                    },
                },
            },
        },
    };

    private static OpenApiSchema Integer(int min, int? max, int? fallback) => new()
    {
        Type = JsonSchemaType.Integer,
        Format = "int32",
        Minimum = min.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Maximum = max?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Default = fallback is { } d ? JsonValue.Create(d) : null,
    };

    private static OpenApiSchema Statuses() => new()
    {
        Type = JsonSchemaType.String,
        Enum = [.. Enum.GetNames<ImageStatus>().Select(n => (JsonNode)JsonValue.Create(n.ToLowerInvariant()))],
    };

    private static void Describe(OpenApiOperation operation, string name, OpenApiSchema schema, string description)
    {
        if (operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == name) is { } parameter)
        {
            parameter.Schema = schema;
            parameter.Description = description;
        }
    }
}
