using System.Net;
using Images.Tests.Support;

namespace Images.Tests.Api;

public sealed class ConsoleOffFixture : ApiFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["IMG_CONSOLE_ENABLED"] = "false" };
}

/// <summary>FR-12.3: the console's files are served by the Api, without the key, with a strict CSP, and can be switched off.</summary>
public class ConsoleEndpointTests(KeyedFixture api) : IClassFixture<KeyedFixture>
{
    private readonly HttpClient _client = api.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    [Fact]
    public async Task TheConsoleIsServedWithoutTheKeyFromTheApiItself_FR12_3()
    {
        using var bare = await _client.GetAsync("/console");
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/console/", bare.Headers.Location?.OriginalString);

        using var index = await _client.GetAsync("/console/");
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
        var html = await index.Content.ReadAsStringAsync();
        Assert.Contains("<script type=\"module\" src=\"app.js\"></script>", html, StringComparison.Ordinal);
        // No CDN: every script and style the page names is one of the console's own files.
        Assert.DoesNotContain("http", html.Replace("http-equiv", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        var csp = string.Join(" ", index.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Equal("no-referrer", string.Join(",", index.Headers.GetValues("Referrer-Policy")));

        foreach (var (file, type) in new[] { ("app.js", "text/javascript"), ("api.js", "text/javascript"), ("events.js", "text/javascript"), ("style.css", "text/css") })
        {
            using var response = await _client.GetAsync($"/console/{file}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task ConsoleFilesRevalidateWithTheirETagAndUnknownOnesAre404_FR12_3()
    {
        using var first = await _client.GetAsync("/console/app.js");
        var tag = first.Headers.ETag;
        Assert.NotNull(tag);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/console/app.js");
        request.Headers.IfNoneMatch.Add(tag);
        using var again = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);

        using var missing = await _client.GetAsync("/console/nothing.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task ThePagesWeighLittle_FR12_3()
    {
        // Every file of the console as served (a first visit loads them all), uncompressed; README
        // states the figure. The list is the source folder's, so no file can be left out.
        var files = Directory.GetFiles(RepositoryFiles.PathOf("Images.Api", "ConsoleApp")).Select(Path.GetFileName).ToList();
        Assert.Contains("thumbhash.js", files);
        long total = 0;
        foreach (var file in files)
        {
            total += (await _client.GetByteArrayAsync($"/console/{(file == "index.html" ? string.Empty : file)}")).Length;
        }

        Assert.True(total < 64 * 1024, $"{total} bytes in {files.Count} files");
    }
}

public class ConsoleSwitchedOffTests(ConsoleOffFixture api) : IClassFixture<ConsoleOffFixture>
{
    [Fact]
    public async Task ImgConsoleEnabledFalseServesNoConsole_FR12_3()
    {
        using var response = await api.Client.GetAsync("/console/");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
