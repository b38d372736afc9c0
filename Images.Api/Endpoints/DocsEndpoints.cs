using Microsoft.Extensions.Options;

namespace Images.Api.Endpoints;

/// <summary>FR-6: one OpenAPI document, Swagger UI at /docs and ReDoc at /redoc (IMG_DOCS_ENABLED=false turns them off).</summary>
internal static class DocsEndpoints
{
    public const string DocumentPath = "/openapi/v1.json";

    public static WebApplication MapApiDocs(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.DocsEnabled)
        {
            return app;
        }

        app.MapOpenApi("/openapi/{documentName}.json");
        app.UseSwaggerUI(options =>
        {
            options.RoutePrefix = "docs";
            options.DocumentTitle = "Images API";
            options.SwaggerEndpoint(DocumentPath, "Images API v1");
        });
        app.UseReDoc(options =>
        {
            options.RoutePrefix = "redoc";
            options.DocumentTitle = "Images API";
            options.SpecUrl = DocumentPath;
        });
        return app;
    }
}
