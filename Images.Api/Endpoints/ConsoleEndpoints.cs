using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Images.Api.Endpoints;

/// <summary>
/// FR-12.3: the web console at <c>/console/</c>, a few static files (HTML, CSS, ES modules) embedded
/// in this assembly and served from memory, no CDN (ADR 16). The files hold no secret and need no
/// key; everything they do goes through the public API with the key the user gives them.
/// IMG_CONSOLE_ENABLED=false maps nothing.
/// </summary>
internal static class ConsoleEndpoints
{
    public const string Path = "/console";

    private const string ResourcePrefix = "console/";

    /// <summary>
    /// Only this origin's scripts, styles and API; images also from blob: (bytes fetched with the key);
    /// no framing; no referrer, so a signed URL on the page never leaks to another site.
    /// </summary>
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static WebApplication MapConsole(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.ConsoleEnabled)
        {
            return app;
        }

        var files = Load();
        // One route for /console and everything under it: routing matches /console/ to a bare /console route too.
        app.MapGet(Path + "/{*file}", (string? file, HttpContext context) => Serve(files, file, context)).ExcludeFromDescription();
        return app;
    }

    private static IResult Serve(FrozenDictionary<string, ConsoleFile> files, string? name, HttpContext context)
    {
        if (string.IsNullOrEmpty(name) && !context.Request.Path.Value!.EndsWith('/'))
        {
            // The page's relative addresses (app.js, style.css) resolve under /console/ only.
            return TypedResults.Redirect(Path + "/");
        }

        if (!files.TryGetValue(string.IsNullOrEmpty(name) ? "index.html" : name, out var file))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"The console has no file '{name}'.");
        }

        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ETag = file.ETag;
        // Small files: revalidated on every load (a 304), so a new release is picked up at once.
        headers.CacheControl = "no-cache";
        if (context.Request.GetTypedHeaders().IfNoneMatch.Any(tag => tag.Compare(new EntityTagHeaderValue(file.ETag), useStrongComparison: false)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(file.Content, file.ContentType);
    }

    private static FrozenDictionary<string, ConsoleFile> Load()
    {
        var assembly = typeof(ConsoleEndpoints).Assembly;
        var files = new Dictionary<string, ConsoleFile>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            var content = memory.ToArray();
            var name = resource[ResourcePrefix.Length..];
            files[name] = new ConsoleFile(content, ContentTypeOf(name), $"\"{Convert.ToHexStringLower(SHA256.HashData(content))}\"");
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentTypeOf(string name) => System.IO.Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".png" => "image/png",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };

    private sealed record ConsoleFile(byte[] Content, string ContentType, string ETag);
}
