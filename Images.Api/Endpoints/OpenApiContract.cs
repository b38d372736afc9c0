using System.Text.Json.Nodes;
using Images.Api.Http;
using Images.Application.Images.BatchProcess;
using Images.Application.Images.List;
using Images.Application.Images.Upload;
using Images.Application.Webhooks;
using Images.Application.Webhooks.Query;
using Images.Application.Webhooks.Subscribe;
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
                    DescribeIdempotency(operation);
                    break;
                case nameof(WebhookEndpoints.ListWebhookDeliveries):
                    Describe(operation, "limit", Integer(1, ListDeliveriesHandler.MaxLimit, ListDeliveriesHandler.DefaultLimit), "Deliveries to list, newest first.");
                    break;
                case nameof(ImagesEndpoints.ListImages):
                    Describe(operation, "offset", Integer(0, null, 0), "Items to skip.");
                    Describe(operation, "limit", Integer(1, ListImagesHandler.MaxLimit, ListImagesHandler.DefaultLimit), "Page size.");
                    Describe(operation, "status", Statuses(), "Only images in this processing status.");
                    Describe(operation, "tag", new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = Images.Domain.Images.Tags.MaxLength }, "Only images with this tag (exact, case-sensitive).");
                    Describe(operation, "filename", new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = Images.Domain.Images.Image.MaxFilenameLength }, "Only images whose filename contains this text, ignoring case.");
                    break;
                case nameof(ImagesEndpoints.FindSimilarImages):
                    Describe(operation, "max_distance", Integer(0, Images.Application.Images.Similar.FindSimilarImagesHandler.MaxMaxDistance,
                        Images.Application.Images.Similar.FindSimilarImagesHandler.DefaultMaxDistance), "Largest Hamming distance between the perceptual hashes (bits).");
                    Describe(operation, "limit", Integer(1, Images.Application.Images.Similar.FindSimilarImagesHandler.MaxLimit,
                        Images.Application.Images.Similar.FindSimilarImagesHandler.DefaultLimit), "Most images returned.");
                    break;
                case nameof(EventsEndpoints.StreamEvents):
                    operation.Parameters ??= [];
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = "Last-Event-ID",
                        In = ParameterLocation.Header,
                        Required = false,
                        Description = "The `id` of the last event received: the stream replays every event after it (within IMG_EVENTS_REPLAY_HOURS), " +
                            "or sends one `event: reset` when it is older than that or unknown. Not an integer: 422.",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Minimum = "0" },
                    });
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

            var webhooks = operation.Tags?.Any(t => t.Name == WebhookEndpoints.Tag) == true;
            foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
            {
                if (parameter.Name == "id")
                {
                    parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" };
                    parameter.Description = webhooks
                        ? "The subscription id (UUID); a malformed one is answered with 422."
                        : "The image id (UUID); a malformed one is answered with 422.";
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

            if (context.JsonTypeInfo.Type == typeof(CreateWebhookRequest) && schema.Properties is { } hook)
            {
                if (hook.TryGetValue("url", out var url) && url is OpenApiSchema u)
                {
                    u.Format = "uri";
                    u.MaxLength = CreateSubscriptionHandler.MaxUrlLength;
                    u.Description = "Absolute http(s) URL without credentials; its host must resolve to public addresses only (FR-10.3).";
                }

                if (hook.TryGetValue("events", out var events) && events is OpenApiSchema e)
                {
                    e.MinItems = 1;
                    e.Items = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. WebhookEventTypes.All.Select(n => (JsonNode)JsonValue.Create(n))] };
                }
            }

            if (context.JsonTypeInfo.Type == typeof(WebhookDeliveryView) && schema.Properties is { } delivery &&
                delivery.TryGetValue("status", out var status) && status is OpenApiSchema st)
            {
                st.Enum = [.. new[] { DeliveryStatus.Pending, DeliveryStatus.Delivered, DeliveryStatus.Dead }.Select(n => (JsonNode)JsonValue.Create(n))];
                st.Description = "pending: to be tried (again) at next_attempt_at; delivered: a 2xx answer; dead: the retry window passed.";
            }

            if ((context.JsonTypeInfo.Type == typeof(Images.Application.Common.ImageDto) || context.JsonTypeInfo.Type == typeof(Images.Application.Images.Similar.SimilarImageDto))
                && schema.Properties is { } image)
            {
                DescribeInsight(image);
            }

            if (context.JsonTypeInfo.Type == typeof(Images.Application.Common.ExifDto) && schema.Properties is { } exif)
            {
                // A nullable reference property is wrapped (oneOf) after this runs: the type says it too.
                schema.Description = "Camera facts from the image's EXIF block (FR-9.3), each null when absent; gps only when IMG_EXPOSE_GPS=true (default false).";
                Annotate(exif, "taken_at", "When the photo was taken, camera local time as written (`yyyy-MM-ddTHH:mm:ss`), with the offset when the EXIF gives one.");
                Annotate(exif, "exposure_time", "Seconds (0.004 = 1/250).");
                Annotate(exif, "f_number", "Aperture (2.8 = f/2.8).");
                Annotate(exif, "iso", "Photographic sensitivity (ISO speed).");
                Annotate(exif, "focal_length", "Millimetres (not 35 mm equivalent).");
                Annotate(exif, "gps", "Only when IMG_EXPOSE_GPS=true (default false): {lat, lon} in degrees (south and west negative), alt in metres.");
            }

            if (context.JsonTypeInfo.Type == typeof(Images.Application.Common.ImageDto) && schema.Properties is { } imageSchema)
            {
                if (imageSchema.TryGetValue("format", out var imageFormat) && imageFormat is OpenApiSchema fmt)
                {
                    fmt.Enum = [.. Enum.GetValues<ImageFormat>().Select(v => (JsonNode)JsonValue.Create(v.ContractName()))];
                    fmt.Description = "Decided by the file's bytes at upload (FR-1.1, FR-8.6).";
                }

                if (imageSchema.TryGetValue("frames", out var frames) && frames is OpenApiSchema fr)
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

    /// <summary>FR-9: the resource's insight fields, their shapes and when they are null.</summary>
    private static void DescribeInsight(IDictionary<string, IOpenApiSchema> properties)
    {
        Annotate(properties, "placeholder", "ThumbHash of the image, base64 (about 30 characters); decode it to paint a blurred preview. Null until completed.");
        if (properties.TryGetValue("dominant_color", out var dominant) && dominant is OpenApiSchema d)
        {
            d.Pattern = "^#[0-9a-f]{6}$";
            d.Description = "The dominant colour, `#rrggbb`: the fullest bin of a 4-bit-per-channel histogram of the image. Null until completed.";
        }

        if (properties.TryGetValue("phash", out var phash) && phash is OpenApiSchema h)
        {
            h.Pattern = "^[0-9a-f]{16}$";
            h.Description = "64-bit DCT perceptual hash of the luma, 16 hex digits; near-duplicates differ in few bits (GET .../similar). Null until completed.";
        }

        Annotate(properties, "exif", "Camera facts from the EXIF block (null when there is none); gps only with IMG_EXPOSE_GPS=true.");
        Annotate(properties, "distance", "Bits in which this image's perceptual hash differs from the queried one's.");
    }

    private static void Annotate(IDictionary<string, IOpenApiSchema> properties, string name, string description)
    {
        if (properties.TryGetValue(name, out var found) && found is OpenApiSchema schema)
        {
            schema.Description = description;
        }
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

    /// <summary>FR-9.4: the Idempotency-Key header, and what a replay and a misuse answer (ADR 13).</summary>
    private static void DescribeIdempotency(OpenApiOperation operation)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = IdempotencyKey.Header,
            In = ParameterLocation.Header,
            Required = false,
            Description =
                "1-255 visible ASCII characters, bare or as a quoted string (IETF httpapi idempotency-key draft). Within 24 h a retry " +
                "with the key answers the first upload's 201 and body again and stores nothing; with a different upload (bytes, " +
                "filename, tags, ttl_hours) 422; while the first is still committing it waits, 409 after 10 s. Scoped to the API key. " +
                "Malformed: 422.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = IdempotencyKey.MaxLength },
        });
        if (operation.Responses?.TryGetValue("201", out var found) == true && found is OpenApiResponse created)
        {
            created.Headers ??= new Dictionary<string, IOpenApiHeader>();
            created.Headers["Idempotent-Replayed"] = Header("`true` when this is the stored answer of an earlier request with the same Idempotency-Key.");
            created.Headers["Location"] = Header("The image's path.");
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
