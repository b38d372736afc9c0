using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Images.Tests.Support;

/// <summary>
/// The real Api (its Program, middleware, endpoints and background processing) on the test server,
/// against a real migrated PostgreSQL database and a real storage directory.
/// </summary>
public sealed class ApiFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly TimeProvider? _clock;
    private readonly ILoggerProvider? _logs;

    public ApiFactory(DatabaseFixture database, IDictionary<string, string?>? settings = null, TimeProvider? clock = null, ILoggerProvider? logs = null)
    {
        _clock = clock;
        _logs = logs;
        StorageDirectory = Path.Combine(Path.GetTempPath(), "images-tests-store-" + Guid.NewGuid().ToString("N")[..12]);
        _settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:imagesdb"] = database.ConnectionString,
            ["IMG_STORAGE_BASE_DIR"] = StorageDirectory,
            ["IMG_RATE_LIMIT_UPLOAD_MAX"] = "100000",
            ["IMG_RATE_LIMIT_PROCESS_MAX"] = "100000",
            ["IMG_RATE_LIMIT_READ_MAX"] = "100000",
            ["IMG_PROCESSING_MAX_WORKERS"] = "2",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    public string StorageDirectory { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (_clock is not null)
        {
            builder.ConfigureTestServices(services => services.AddSingleton(_clock));
        }

        if (_logs is not null)
        {
            builder.ConfigureLogging(logging => logging.AddProvider(_logs));
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(StorageDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>A migrated database plus the Api over it, shared by the tests of one class.</summary>
public class ApiFixture : DatabaseFixture
{
    public ApiFactory Factory { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    /// <summary>What the Api logged, to explain a failure.</summary>
    public CapturingLoggerProvider Logs { get; } = new();

    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    protected virtual TimeProvider? Clock => null;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Factory = new ApiFactory(this, Settings, Clock, Logs);
        Client = Factory.CreateClient();
    }

    public override async Task DisposeAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
        await base.DisposeAsync();
    }

    public string[] StoredOriginals() =>
        Directory.Exists(Path.Combine(Factory.StorageDirectory, "originals"))
            ? Directory.GetFiles(Path.Combine(Factory.StorageDirectory, "originals"), "*", SearchOption.AllDirectories)
            : [];
}

public static class ApiClientExtensions
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static MultipartFormDataContent UploadForm(byte[] bytes, string contentType, string fileName = "photo", params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        form.Add(file, "file", fileName);
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        return form;
    }

    public static async Task<JsonElement> UploadAsync(this HttpClient client, byte[] bytes, string contentType, params (string Name, string Value)[] fields)
    {
        using var response = await client.PostAsync("/api/v1/images/", UploadForm(bytes, contentType, "photo", fields));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"upload answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string path)
    {
        using var response = await SendHonouringRetryAfterAsync(client, () => new HttpRequestMessage(HttpMethod.Get, path));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>
    /// Sends a request again after a 429, waiting the Retry-After it gave (FR-7.2), a few times at
    /// most: a test that polls a deployment with its default limits behaves as a good client does.
    /// </summary>
    public static async Task<HttpResponseMessage> SendHonouringRetryAfterAsync(HttpClient client, Func<HttpRequestMessage> request)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await client.SendAsync(request());
            if (response.StatusCode != System.Net.HttpStatusCode.TooManyRequests || attempt == 4)
            {
                return response;
            }

            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            response.Dispose();
            Assert.True(wait <= TimeSpan.FromSeconds(90), $"Retry-After of {wait}");
            await Task.Delay(wait);
        }
    }

    public static async Task<JsonElement> PostJsonAsync(this HttpClient client, string path, object? body = null)
    {
        using var response = await client.PostAsJsonAsync(path, body ?? new { });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Polls an image until its status is one of <paramref name="statuses"/>; fails after the timeout.</summary>
    public static Task<JsonElement> WaitForStatusAsync(this HttpClient client, string id, TimeSpan timeout, params string[] statuses) =>
        client.WaitForStatusAsync(id, timeout, TimeSpan.FromMilliseconds(50), statuses);

    /// <summary>Polls every <paramref name="interval"/> (mind the read rate limit of a real deployment).</summary>
    public static async Task<JsonElement> WaitForStatusAsync(this HttpClient client, string id, TimeSpan timeout, TimeSpan interval, params string[] statuses)
    {
        using var cts = new CancellationTokenSource(timeout);
        JsonElement image = default;
        while (!cts.IsCancellationRequested)
        {
            image = await client.GetJsonAsync($"/api/v1/images/{id}");
            if (statuses.Contains(image.GetProperty("status").GetString()))
            {
                return image;
            }

            await Task.Delay(interval, CancellationToken.None);
        }

        Assert.Fail($"image {id} did not reach {string.Join("|", statuses)} within {timeout}; last: {image}");
        return image;
    }
}
