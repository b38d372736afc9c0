using Images.Native;
using System.Net;
using System.Text.Json;
using Images.Tests.Support;

namespace Images.Tests.Api;

/// <summary>FR-5 and FR-6: health, metrics and the documentation pages.</summary>
public class HealthAndDocsTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task HealthReportsServiceVersionAndDatabase_FR5_1()
    {
        var health = await api.Client.GetJsonAsync("/health");
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.Equal("image-processing-service", health.GetProperty("service").GetString());
        Assert.False(string.IsNullOrEmpty(health.GetProperty("version").GetString()));
        Assert.Equal("healthy", health.GetProperty("checks").GetProperty("database").GetString());
        // NFR-4: which processor is active, in words.
        Assert.StartsWith(NativeThumbnailer.IsAvailable ? "native (libimages_native)" : "managed (ImageSharp)", health.GetProperty("details").GetProperty("image-processor").GetString(), StringComparison.Ordinal);

        var alive = await api.Client.GetJsonAsync("/alive");
        Assert.Equal("healthy", alive.GetProperty("status").GetString());
    }

    [Fact]
    public async Task OneOpenApiDocumentDescribesEveryEndpoint_FR6()
    {
        var document = await api.Client.GetJsonAsync("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        var expected = new Dictionary<string, string[]>
        {
            ["/api/v1/images"] = ["get", "post"],
            ["/api/v1/images/{id}/download"] = ["get"],
            ["/api/v1/images/{id}/renditions/{name}"] = ["get"],
            ["/api/v1/images/{id}/similar"] = ["get"],
            ["/api/v1/images/{id}/process"] = ["post"],
            ["/api/v1/images/batch/process"] = ["post"],
            ["/api/v1/retention/sweep"] = ["post"],
            ["/api/v1/images/{id}/signed-urls"] = ["post"],
            ["/api/v1/webhooks"] = ["get", "post"],
            ["/api/v1/webhooks/{id}"] = ["get", "delete"],
            ["/api/v1/webhooks/{id}/secret"] = ["post"],
            ["/api/v1/webhooks/{id}/deliveries"] = ["get"],
            ["/api/v1/images/{id}"] = ["get", "delete"],
            ["/api/v1/events"] = ["get"],
            ["/api/v1/stats"] = ["get"],
        };
        foreach (var (path, methods) in expected)
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is missing from the OpenAPI document");
            foreach (var method in methods)
            {
                Assert.True(item.TryGetProperty(method, out var operation), $"{method} {path} is missing");
                Assert.True(operation.TryGetProperty("summary", out _));
                Assert.True(operation.GetProperty("responses").EnumerateObject().Any());
            }
        }

        var upload = paths.GetProperty("/api/v1/images").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        Assert.True(upload.TryGetProperty("multipart/form-data", out _));
        Assert.True(document.GetProperty("components").GetProperty("schemas").TryGetProperty("ImageDto", out var imageSchema));
        Assert.True(imageSchema.GetProperty("properties").TryGetProperty("thumbnail_available", out _));
        Assert.True(imageSchema.GetProperty("properties").TryGetProperty("renditions", out _));
        // FR-8.6: frames, and the formats an upload can be.
        Assert.Contains("integer", imageSchema.GetProperty("properties").GetProperty("frames").GetProperty("type").ToString(), StringComparison.Ordinal);
        Assert.Equal(["JPEG", "PNG", "WEBP", "TIFF", "GIF", "HEIC", "AVIF"],
            imageSchema.GetProperty("properties").GetProperty("format").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.True(document.GetProperty("components").GetProperty("schemas").TryGetProperty("RenditionDto", out var rendition));
        Assert.Equal(["name", "width", "height", "formats"], rendition.GetProperty("properties").EnumerateObject().Select(p => p.Name));
    }

    [Theory]
    [InlineData("/docs/index.html", "swagger")]
    [InlineData("/redoc/index.html", "redoc")]
    public async Task SwaggerUiAndRedocAreServed_FR6_1_FR6_2(string path, string marker)
    {
        using var response = await api.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains(marker, html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task PrometheusMetricsAreExposed_FR5_3()
    {
        var image = await api.Client.UploadAsync(TestImages.Png(50, 40, seed: 77), "image/png");
        await api.Client.WaitForStatusAsync(image.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30), "completed");
        using var response = await api.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
        Assert.Contains("images_currently_processing", text, StringComparison.Ordinal);
        Assert.Contains("image_uploads_total{", text, StringComparison.Ordinal);
        Assert.Contains("image_processing_duration_seconds_bucket{", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownRoutesAnswerProblemDetails()
    {
        using var response = await api.Client.GetAsync("/api/v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}

public sealed class DocsOffFixture : ApiFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["IMG_DOCS_ENABLED"] = "false" };
}

public class DocsSwitchedOffTests(DocsOffFixture api) : IClassFixture<DocsOffFixture>
{
    [Theory]
    [InlineData("/docs/index.html")]
    [InlineData("/redoc/index.html")]
    [InlineData("/openapi/v1.json")]
    public async Task DocsCanBeSwitchedOffByConfiguration_FR6(string path) =>
        Assert.Equal(HttpStatusCode.NotFound, (await api.Client.GetAsync(path)).StatusCode);
}

/// <summary>FR-5.1: /health reflects the database; with it unreachable the answer is 503 unhealthy.</summary>
public class HealthWithoutDatabaseTests
{
    [Fact]
    public async Task HealthIs503WhenTheDatabaseIsUnreachable_FR5_1()
    {
        var unreachable = new DatabaseFixtureStub(ServiceProcess.UnreachableDatabase);
        await using var factory = new ApiFactory(unreachable);
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("unhealthy", body.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive")).StatusCode);
    }

    private sealed class DatabaseFixtureStub(string connectionString) : DatabaseFixture
    {
        public override string ConnectionString => connectionString;
    }
}

public class OpenApiContractTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task TheDocumentGivesRealTypesAndRangesForHandReadParameters_FR6()
    {
        var paths = (await api.Client.GetJsonAsync("/openapi/v1.json")).GetProperty("paths");

        var form = paths.GetProperty("/api/v1/images").GetProperty("post").GetProperty("requestBody")
            .GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema");
        Assert.Equal("binary", form.GetProperty("properties").GetProperty("file").GetProperty("format").GetString());
        Assert.Equal(20, form.GetProperty("properties").GetProperty("tags").GetProperty("maxItems").GetInt32());
        Assert.Equal(8760, form.GetProperty("properties").GetProperty("ttl_hours").GetProperty("maximum").GetInt32());

        var list = paths.GetProperty("/api/v1/images").GetProperty("get").GetProperty("parameters").EnumerateArray()
            .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("schema"));
        Assert.Equal("integer", list["limit"].GetProperty("type").GetString());
        Assert.Equal(100, list["limit"].GetProperty("maximum").GetInt32());
        Assert.Equal(["pending", "processing", "completed", "failed"], list["status"].GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(64, list["tag"].GetProperty("maxLength").GetInt32());
        Assert.Equal("string", list["filename"].GetProperty("type").GetString());

        var id = paths.GetProperty("/api/v1/images/{id}").GetProperty("get").GetProperty("parameters")[0].GetProperty("schema");
        Assert.Equal("uuid", id.GetProperty("format").GetString());

        // FR-8.3: the rendition's format and what it can answer.
        var rendition = paths.GetProperty("/api/v1/images/{id}/renditions/{name}").GetProperty("get");
        var parameters = rendition.GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("schema"));
        Assert.Equal(["jpeg", "webp", "avif", "png"], parameters["format"].GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("uuid", parameters["id"].GetProperty("format").GetString());
        Assert.Equal(["200", "304", "404", "406", "412", "422"], rendition.GetProperty("responses").EnumerateObject().Select(r => r.Name).Where(n => n != "401" && n != "429").Order());
        Assert.True(rendition.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("image/avif", out _));
    }

    [Fact]
    public async Task TheDocumentDescribesSimilarImagesAndTheInsightFields_FR6_FR9()
    {
        var document = await api.Client.GetJsonAsync("/openapi/v1.json");
        var similar = document.GetProperty("paths").GetProperty("/api/v1/images/{id}/similar").GetProperty("get");
        var parameters = similar.GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("schema"));
        Assert.Equal("uuid", parameters["id"].GetProperty("format").GetString());
        Assert.Equal(("integer", 0, 16, 8), (parameters["max_distance"].GetProperty("type").GetString(), parameters["max_distance"].GetProperty("minimum").GetInt32(),
            parameters["max_distance"].GetProperty("maximum").GetInt32(), parameters["max_distance"].GetProperty("default").GetInt32()));
        Assert.Equal((1, 100, 20), (parameters["limit"].GetProperty("minimum").GetInt32(), parameters["limit"].GetProperty("maximum").GetInt32(), parameters["limit"].GetProperty("default").GetInt32()));
        Assert.Equal(["200", "404", "422"], similar.GetProperty("responses").EnumerateObject().Select(r => r.Name).Where(n => n != "401" && n != "429").Order());

        var schemas = document.GetProperty("components").GetProperty("schemas");
        var image = schemas.GetProperty("ImageDto").GetProperty("properties");
        foreach (var field in new[] { "placeholder", "dominant_color", "phash", "exif" })
        {
            Assert.True(image.TryGetProperty(field, out var property), $"ImageDto lacks {field}");
            Assert.True(property.ToString().Contains("description", StringComparison.Ordinal) || field == "exif", $"{field} is not described");
        }

        Assert.Equal("^[0-9a-f]{16}$", image.GetProperty("phash").GetProperty("pattern").GetString());
        Assert.Equal("^#[0-9a-f]{6}$", image.GetProperty("dominant_color").GetProperty("pattern").GetString());
        Assert.True(schemas.GetProperty("SimilarImageDto").GetProperty("properties").TryGetProperty("distance", out _));
        var exif = schemas.GetProperty("ExifDto").GetProperty("properties");
        Assert.Equal(["make", "model", "lens", "taken_at", "exposure_time", "f_number", "iso", "focal_length", "gps"], exif.EnumerateObject().Select(p => p.Name));
        Assert.Contains("IMG_EXPOSE_GPS", schemas.GetProperty("ExifDto").GetProperty("description").GetString());
        Assert.Equal(["lat", "lon", "alt"], schemas.GetProperty("GpsDto").GetProperty("properties").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task TheDocumentDescribesCachingAndSignedUrls_FR6_FR8_4_FR8_5()
    {
        var document = await api.Client.GetJsonAsync("/openapi/v1.json");
        var paths = document.GetProperty("paths");

        var download = paths.GetProperty("/api/v1/images/{id}/download").GetProperty("get");
        var parameters = download.GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("in").GetString());
        foreach (var (name, place) in new[]
                 {
                     ("thumbnail", "query"), ("expires", "query"), ("sig", "query"), ("If-None-Match", "header"), ("If-Modified-Since", "header"),
                     ("If-Match", "header"), ("Range", "header"), ("If-Range", "header"),
                 })
        {
            Assert.Equal(place, parameters[name]);
        }

        var responses = download.GetProperty("responses");
        foreach (var status in new[] { "200", "206", "304", "403", "404", "412", "416", "422" })
        {
            Assert.True(responses.TryGetProperty(status, out _), $"download lacks {status}");
        }

        Assert.True(responses.GetProperty("200").GetProperty("headers").TryGetProperty("ETag", out _));
        Assert.True(responses.GetProperty("206").GetProperty("headers").TryGetProperty("Content-Range", out _));
        Assert.True(responses.GetProperty("304").GetProperty("headers").TryGetProperty("Cache-Control", out _));

        var sign = paths.GetProperty("/api/v1/images/{id}/signed-urls").GetProperty("post");
        foreach (var status in new[] { "200", "404", "422", "501" })
        {
            Assert.True(sign.GetProperty("responses").TryGetProperty(status, out _), $"signed-urls lacks {status}");
        }

        Assert.False(sign.GetProperty("requestBody").TryGetProperty("required", out var required) && required.GetBoolean());
        var schemas = document.GetProperty("components").GetProperty("schemas");
        var request = schemas.GetProperty("SignedUrlRequest").GetProperty("properties");
        Assert.Equal(60, request.GetProperty("expires_in").GetProperty("minimum").GetInt32());
        Assert.Equal(604800, request.GetProperty("expires_in").GetProperty("maximum").GetInt32());
        Assert.Equal(3600, request.GetProperty("expires_in").GetProperty("default").GetInt32());
        Assert.Equal(["jpeg", "webp", "avif", "png"], request.GetProperty("format").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["thumbnail"], request.GetProperty("rendition").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        var response = schemas.GetProperty("SignedUrlResponse").GetProperty("properties");
        Assert.True(response.TryGetProperty("url", out _));
        Assert.True(response.TryGetProperty("expires_at", out _));
    }

    [Fact]
    public async Task TheDocumentDescribesIdempotencyKeysAndWebhooks_FR6_FR9_4_FR10()
    {
        var document = await api.Client.GetJsonAsync("/openapi/v1.json");
        var paths = document.GetProperty("paths");

        var upload = paths.GetProperty("/api/v1/images").GetProperty("post");
        var key = upload.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "Idempotency-Key");
        Assert.Equal("header", key.GetProperty("in").GetString());
        Assert.Equal(255, key.GetProperty("schema").GetProperty("maxLength").GetInt32());
        Assert.True(upload.GetProperty("responses").TryGetProperty("409", out _));
        Assert.True(upload.GetProperty("responses").GetProperty("201").GetProperty("headers").TryGetProperty("Idempotent-Replayed", out _));

        var create = paths.GetProperty("/api/v1/webhooks").GetProperty("post");
        Assert.True(create.GetProperty("responses").TryGetProperty("201", out _));
        Assert.True(create.GetProperty("responses").TryGetProperty("422", out _));
        Assert.Contains("webhook-signature", create.GetProperty("description").GetString(), StringComparison.Ordinal);
        var deliveries = paths.GetProperty("/api/v1/webhooks/{id}/deliveries").GetProperty("get");
        var limit = deliveries.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "limit").GetProperty("schema");
        Assert.Equal(500, limit.GetProperty("maximum").GetInt32());
        Assert.True(deliveries.GetProperty("responses").TryGetProperty("404", out _));

        var schemas = document.GetProperty("components").GetProperty("schemas");
        var request = schemas.GetProperty("CreateWebhookRequest").GetProperty("properties");
        Assert.Equal(["image.created", "image.completed", "image.failed", "image.deleted"], request.GetProperty("events").GetProperty("items").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.True(schemas.GetProperty("WebhookSubscriptionWithSecretDto").GetProperty("properties").TryGetProperty("secret", out _));
        Assert.False(schemas.GetProperty("WebhookSubscriptionDto").GetProperty("properties").TryGetProperty("secret", out _));
        var delivery = schemas.GetProperty("WebhookDeliveryView").GetProperty("properties");
        foreach (var field in new[] { "event_id", "type", "status", "attempts", "last_status_code", "last_error", "next_attempt_at" })
        {
            Assert.True(delivery.TryGetProperty(field, out _), $"a delivery lacks {field}");
        }

        Assert.Equal(["pending", "delivered", "dead"], delivery.GetProperty("status").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
    }
}
