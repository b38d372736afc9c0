using System.Text.Json;
using Images.Api.Endpoints;
using Images.Api.Http;
using Images.Application.Common.Settings;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Images.Api;

public static class DependencyInjection
{
    public const string CorsPolicy = "images-cors";

    /// <summary>The HTTP layer: JSON contract, problem details, rate limits, CORS, OpenAPI.</summary>
    public static IHostApplicationBuilder AddApi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddImgOptions<ApiOptions>();
        services.AddImgOptions<UrlSigningOptions>();
        services.AddSingleton<UrlSigner>();
        services.AddHostedService<ApiKeyStrengthCheck>();
        services.Configure<JsonOptions>(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.DictionaryKeyPolicy = null;
        });
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions.TryAdd("trace_id", context.HttpContext.TraceIdentifier));
        services.AddExceptionHandler<ProblemDetailsExceptionHandler>();
        services.AddImagesRateLimiting();
        services.AddTrustedProxies();
        services.AddCors();
        services.AddSingleton<IConfigureOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>, ConfigureCors>();
        services.AddOpenApi(options => options
            .AddImagesContract()
            .AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Images API";
                document.Info.Description = "Upload images, get thumbnails and metadata, and expire them. Contract of the Python image-processing-service.";
                return Task.CompletedTask;
            }));
        return builder;
    }

    /// <summary>
    /// Middleware order: the forwarded client address first (only from trusted proxies), request log
    /// and RED metrics next (so they see the final status, also of a request that threw), then
    /// errors, CORS, URL signatures (FR-8.5: a valid one stands in for the API key, a broken one is 403),
    /// API key, rate limits (which signed requests pass through too).
    /// </summary>
    public static WebApplication UseApi(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.TrustedProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        app.UseMiddleware<RequestLoggingMiddleware>();
        app.UseMiddleware<RedMetricsMiddleware>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.CorsOrigins.Count > 0)
        {
            app.UseCors(CorsPolicy);
        }

        app.UseMiddleware<SignedUrlMiddleware>();
        app.UseMiddleware<ApiKeyMiddleware>();
        app.UseRateLimiter();
        return app;
    }

    private sealed class ConfigureCors(IOptions<ApiOptions> api) : IConfigureOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>
    {
        public void Configure(Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions options) =>
            options.AddPolicy(CorsPolicy, policy =>
            {
                var settings = api.Value;
                if (settings.CorsOrigins.Contains("*"))
                {
                    policy.AllowAnyOrigin();
                }
                else
                {
                    policy.WithOrigins([.. settings.CorsOrigins]);
                }

                if (settings.CorsMethods.Contains("*"))
                {
                    policy.AllowAnyMethod();
                }
                else
                {
                    policy.WithMethods([.. settings.CorsMethods]);
                }

                if (settings.CorsHeaders.Contains("*"))
                {
                    policy.AllowAnyHeader();
                }
                else
                {
                    policy.WithHeaders([.. settings.CorsHeaders]);
                }
            });
    }
}
