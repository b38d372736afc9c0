using Images.Api;
using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Application.Common.Settings;
using Images.Infrastructure.Persistence;
using Images.Infrastructure.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Images.Tests.Infrastructure;

/// <summary>NFR-2: the seed's IMG_ variables, their defaults, validation and Aspire's precedence.</summary>
public class ImgSettingsTests
{
    private static T Resolve<T>(Dictionary<string, string?> values)
        where T : class, IImgSettings<T>, new()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        services.AddImgOptions<T>();
        return services.BuildServiceProvider().GetRequiredService<IOptions<T>>().Value;
    }

    [Fact]
    public void DefaultsAreTheSeeds()
    {
        var processing = Resolve<ProcessingOptions>([]);
        Assert.Equal((4, 256, 100_000_000L, 50L * 1024 * 1024), (processing.MaxWorkers, processing.ThumbnailMaxSize, processing.MaxImagePixels, Resolve<UploadOptions>([]).MaxUploadBytes));
        Assert.Equal(100, Resolve<RetentionOptions>([]).BatchSize);
        Assert.Equal("/data/images", Resolve<StorageOptions>([]).BaseDirectory);

        var api = Resolve<ApiOptions>([]);
        Assert.Equal((10, 60), (api.Upload.PermitLimit, api.Upload.WindowSeconds));
        Assert.Equal((20, 60), (api.Process.PermitLimit, api.Process.WindowSeconds));
        Assert.Equal((60, 60), (api.Read.PermitLimit, api.Read.WindowSeconds));
        Assert.Empty(api.CorsOrigins);
        Assert.Null(api.ApiKey);
        Assert.Equal("image-processing-service", Microsoft.Extensions.Hosting.ServiceIdentity.From(new ConfigurationBuilder().Build(), role: null).Name);
    }

    [Fact]
    public void DatabaseIsBuiltFromImgDbVariablesWithThePoolSize()
    {
        var options = Resolve<DatabaseOptions>(new()
        {
            ["IMG_DB_USER"] = "u",
            ["IMG_DB_PASSWORD"] = "p",
            ["IMG_DB_HOST"] = "db.internal",
            ["IMG_DB_PORT"] = "6543",
            ["IMG_DB_NAME"] = "pics",
            ["IMG_DB_POOL_SIZE"] = "5",
            ["IMG_DB_MAX_OVERFLOW"] = "7",
        });
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        Assert.Equal(("db.internal", 6543, "pics", "u", "p", 12), (builder.Host, builder.Port, builder.Database, builder.Username, builder.Password, builder.MaxPoolSize));
    }

    [Fact]
    public void AspireConnectionStringTakesPrecedence()
    {
        var options = Resolve<DatabaseOptions>(new()
        {
            ["ConnectionStrings:imagesdb"] = "Host=aspire;Port=1234;Database=imagesdb;Username=a;Password=b",
            ["IMG_DB_HOST"] = "ignored",
        });
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        Assert.Equal(("aspire", 1234, 30), (builder.Host, builder.Port, builder.MaxPoolSize));
    }

    [Fact]
    public void MissingUserAndPasswordStopStartUpNamingTheVariables()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve<DatabaseOptions>([]));
        Assert.Contains(ex.Failures, f => f.Contains("IMG_DB_USER", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("IMG_DB_PASSWORD", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("IMG_DB_PORT", "abc")]
    [InlineData("IMG_DB_PORT", "70000")]
    [InlineData("IMG_DB_POOL_SIZE", "0")]
    public void BadDatabaseValuesNameTheVariable(string name, string value)
    {
        var ex = Assert.Throws<OptionsValidationException>(() =>
            Resolve<DatabaseOptions>(new() { ["IMG_DB_USER"] = "u", ["IMG_DB_PASSWORD"] = "p", [name] = value }));
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("IMG_PROCESSING_MAX_WORKERS", "0")]
    [InlineData("IMG_THUMBNAIL_MAX_SIZE", "big")]
    [InlineData("IMG_MAX_IMAGE_PIXELS", "-5")]
    public void BadProcessingValuesNameTheVariable(string name, string value)
    {
        var ex = Assert.Throws<OptionsValidationException>(() =>
            Resolve<ProcessingOptions>(new() { [name] = value }));
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("IMG_RATE_LIMIT_READ_MAX", "many")]
    [InlineData("IMG_CORS_ORIGINS", "[not json")]
    [InlineData("IMG_CORS_ORIGINS", "ftp://x")]
    [InlineData("IMG_DOCS_ENABLED", "perhaps")]
    public void BadApiValuesNameTheVariable(string name, string value)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve<ApiOptions>(new() { [name] = value }));
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExposeGpsIsOffByDefaultAndABadValueNamesTheVariable_FR9_3()
    {
        Assert.False(Resolve<InsightOptions>([]).ExposeGps);
        Assert.True(Resolve<InsightOptions>(new() { ["IMG_EXPOSE_GPS"] = "true" }).ExposeGps);
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve<InsightOptions>(new() { ["IMG_EXPOSE_GPS"] = "sometimes" }));
        Assert.Contains("IMG_EXPOSE_GPS", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[\"http://localhost:3000\", \"https://example.org\"]")]
    [InlineData("http://localhost:3000, https://example.org")]
    public void CorsOriginsAcceptJsonListsAsPydanticDidAndCommaLists(string value)
    {
        var api = Resolve<ApiOptions>(new() { ["IMG_CORS_ORIGINS"] = value });
        Assert.Equal(["http://localhost:3000", "https://example.org"], api.CorsOrigins);
    }

    [Fact]
    public void TheFileSystemIsTheDefaultBackendAndNeedsNoS3Setting_FR11_1()
    {
        Assert.Equal("filesystem", Resolve<StorageOptions>([]).Backend);
        Assert.Equal("s3", Resolve<StorageOptions>(new() { ["IMG_STORAGE_BACKEND"] = "S3" }).Backend);
        Assert.Equal(string.Empty, Resolve<Images.Infrastructure.Storage.S3.S3StorageOptions>([]).Bucket);
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve<StorageOptions>(new() { ["IMG_STORAGE_BACKEND"] = "nfs" }));
        Assert.Contains("IMG_STORAGE_BACKEND must be one of filesystem, s3; got 'nfs'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void S3SettingsAreReadWithExplicitTimeoutsAndRetries_FR11_1()
    {
        var options = Resolve<Images.Infrastructure.Storage.S3.S3StorageOptions>(new()
        {
            ["IMG_STORAGE_BACKEND"] = "s3",
            ["IMG_S3_ENDPOINT"] = "http://minio:9000",
            ["IMG_S3_BUCKET"] = "images",
            ["IMG_S3_REGION"] = "eu-west-3",
            ["IMG_S3_ACCESS_KEY"] = "access",
            ["IMG_S3_SECRET_KEY"] = "very-secret",
            ["IMG_S3_FORCE_PATH_STYLE"] = "false",
            ["IMG_S3_PRESIGNED_DOWNLOADS"] = "true",
            ["IMG_S3_KEY_PREFIX"] = "/prod/",
        });
        Assert.Equal(("http://minio:9000", "images", "eu-west-3", false, true, "prod/"), (options.Endpoint, options.Bucket, options.Region, options.ForcePathStyle, options.PresignedDownloads, options.KeyPrefix));
        Assert.Equal((30, 5, 2), (options.TimeoutSeconds, options.ConnectTimeoutSeconds, options.MaxRetries));
        Assert.DoesNotContain("very-secret", options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheAspireConnectionStringOfTheStoreTakesPrecedence_FR11_1()
    {
        var options = Resolve<Images.Infrastructure.Storage.S3.S3StorageOptions>(new()
        {
            ["IMG_STORAGE_BACKEND"] = "s3",
            ["IMG_S3_BUCKET"] = "ignored",
            ["IMG_S3_ENDPOINT"] = "http://ignored:1",
            ["ConnectionStrings:s3"] = "Endpoint=http://localhost:9000;Bucket=images;AccessKey=minio;SecretKey=minio-secret;ForcePathStyle=true",
        });
        Assert.Equal(("http://localhost:9000", "images", "minio", "minio-secret"), (options.Endpoint, options.Bucket, options.AccessKey, options.SecretKey));
    }

    [Theory]
    [InlineData("IMG_S3_TIMEOUT_SECONDS", "0")]
    [InlineData("IMG_S3_MAX_RETRIES", "many")]
    [InlineData("IMG_S3_ENDPOINT", "minio:9000")]
    [InlineData("IMG_S3_PRESIGNED_DOWNLOADS", "sometimes")]
    public void BadS3ValuesNameTheVariableAndNeverTheSecret_FR11_1(string name, string value)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve<Images.Infrastructure.Storage.S3.S3StorageOptions>(new()
        {
            ["IMG_STORAGE_BACKEND"] = "s3",
            ["IMG_S3_BUCKET"] = "images",
            ["IMG_S3_ACCESS_KEY"] = "access",
            ["IMG_S3_SECRET_KEY"] = "very-secret",
            [name] = value,
        }));
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("very-secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheS3BackendNeedsABucketAndBothKeysOrNeither_FR11_1()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve<Images.Infrastructure.Storage.S3.S3StorageOptions>(new()
        {
            ["IMG_STORAGE_BACKEND"] = "s3",
            ["IMG_S3_SECRET_KEY"] = "very-secret",
        }));
        Assert.Contains(ex.Failures, f => f.Contains("IMG_S3_BUCKET is required", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("IMG_S3_ACCESS_KEY and IMG_S3_SECRET_KEY go together", StringComparison.Ordinal));
        Assert.DoesNotContain("very-secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RenditionsDefaultToTheThumbnailWhichFollowsImgThumbnailMaxSize_FR8_1()
    {
        Assert.Equal([new RenditionSize("thumbnail", 256)], Resolve<ProcessingOptions>([]).Renditions);
        Assert.Equal([new RenditionSize("thumbnail", 100)], Resolve<ProcessingOptions>(new() { ["IMG_THUMBNAIL_MAX_SIZE"] = "100" }).Renditions);

        var two = Resolve<ProcessingOptions>(new() { ["IMG_RENDITIONS"] = "thumbnail:256, preview:1024" });
        Assert.Equal([new RenditionSize("thumbnail", 256), new RenditionSize("preview", 1024)], two.Renditions);
        Assert.Equal(1024, two.LargestRenditionSide);

        // thumbnail is added when left out, and may be named without its size.
        Assert.Equal([new RenditionSize("thumbnail", 128), new RenditionSize("card", 512)],
            Resolve<ProcessingOptions>(new() { ["IMG_RENDITIONS"] = "card:512", ["IMG_THUMBNAIL_MAX_SIZE"] = "128" }).Renditions);
        Assert.Equal([new RenditionSize("thumbnail", 128)],
            Resolve<ProcessingOptions>(new() { ["IMG_RENDITIONS"] = "thumbnail", ["IMG_THUMBNAIL_MAX_SIZE"] = "128" }).Renditions);
        Assert.Equal((80, 60, 8), (two.WebpQuality, two.AvifQuality, two.AvifSpeed));
    }

    [Theory]
    [InlineData("IMG_RENDITIONS", "thumbnail:300")]        // thumbnail follows IMG_THUMBNAIL_MAX_SIZE (256)
    [InlineData("IMG_RENDITIONS", "preview")]              // no size
    [InlineData("IMG_RENDITIONS", "preview:8")]            // too small
    [InlineData("IMG_RENDITIONS", "preview:5000")]         // too large
    [InlineData("IMG_RENDITIONS", "Preview:512")]          // upper case: names are URL and storage segments
    [InlineData("IMG_RENDITIONS", "../x:512")]
    [InlineData("IMG_RENDITIONS", "a:100,a:200")]          // twice
    [InlineData("IMG_RENDITIONS", "a:20,b:30,c:40,d:50,e:60,f:70,g:80,h:90")] // nine with the thumbnail
    [InlineData("IMG_AVIF_SPEED", "11")]
    [InlineData("IMG_WEBP_QUALITY", "0")]
    [InlineData("IMG_AVIF_QUALITY", "101")]
    public void ABadRenditionSettingStopsStartUpNamingTheVariable_FR8_1(string name, string value)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve<ProcessingOptions>(new() { [name] = value }));
        Assert.Contains(ex.Failures, f => f.Contains(name, StringComparison.Ordinal));
    }

    [Fact]
    public void WebhookSettingsHaveTheirDefaultsAndBadValuesNameTheVariable_FR10()
    {
        var defaults = Resolve<Images.Application.Webhooks.WebhookOptions>([]);
        Assert.Equal((false, 10, 5000, 3_600_000, 86_400, 1000, 8), (defaults.AllowPrivateTargets, defaults.TimeoutSeconds, defaults.RetryBaseMilliseconds, defaults.RetryMaxDelayMilliseconds, defaults.RetryWindowSeconds, defaults.PollIntervalMilliseconds, defaults.Concurrency));

        foreach (var (name, value) in new[]
                 {
                     ("IMG_WEBHOOK_ALLOW_PRIVATE_TARGETS", "maybe"),
                     ("IMG_WEBHOOK_TIMEOUT_SECONDS", "0"),
                     ("IMG_WEBHOOK_RETRY_BASE_MS", "abc"),
                     ("IMG_WEBHOOK_RETRY_WINDOW_SECONDS", "10"),
                     ("IMG_WEBHOOK_POLL_INTERVAL_MS", "1"),
                     ("IMG_WEBHOOK_CONCURRENCY", "1000"),
                 })
        {
            var error = Assert.Throws<OptionsValidationException>(() => Resolve<Images.Application.Webhooks.WebhookOptions>(new() { [name] = value }));
            Assert.Contains(name, error.Message, StringComparison.Ordinal);
        }

        var inverted = Assert.Throws<OptionsValidationException>(() => Resolve<Images.Application.Webhooks.WebhookOptions>(new() { ["IMG_WEBHOOK_RETRY_BASE_MS"] = "5000", ["IMG_WEBHOOK_RETRY_MAX_DELAY_MS"] = "100" }));
        Assert.Contains("IMG_WEBHOOK_RETRY_MAX_DELAY_MS", inverted.Message, StringComparison.Ordinal);
    }
}
