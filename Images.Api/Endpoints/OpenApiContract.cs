using System.Text.Json.Nodes;
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

            return Task.CompletedTask;
        });
        return options;
    }

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
                            Description = "JPEG, PNG, WebP or TIFF; decided by the magic bytes.",
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
