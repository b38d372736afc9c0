using System.Net;
using System.Text.Json;
using Images.Tests.Support;
using static Images.Tests.Support.ApiClientExtensions;

namespace Images.Tests.Api;

/// <summary>FR-9.4: Idempotency-Key on upload through the real HTTP pipeline and real PostgreSQL (ADR 13).</summary>
public class IdempotentUploadTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly HttpClient _client = api.Client;

    private async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> PostAsync(byte[] bytes, string? key, string contentType = "image/png", params (string Name, string Value)[] fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/images/") { Content = UploadForm(bytes, contentType, "photo.png", fields) };
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }

        var response = await _client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    private Task<long> RowsWithHashAsync(byte[] bytes) =>
        api.ScalarAsync($"SELECT count(*) FROM images WHERE content_hash = '{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))}'");

    [Fact]
    public async Task ARetryWithTheSameKeyAnswersTheFirstResponseAndStoresNothingNew_FR9_4()
    {
        var bytes = TestImages.Png(64, 48, seed: 901);
        var key = Guid.NewGuid().ToString();

        var first = await PostAsync(bytes, key, fields: ("tags", "a,b"));
        // Let the first image move on (processing): the replay is still the first answer, not the current state.
        await _client.WaitForStatusAsync(JsonDocument.Parse(first.Body).RootElement.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30), "completed");
        var second = await PostAsync(bytes, key, fields: ("tags", "a,b"));

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(HttpStatusCode.Created, second.Status);
        Assert.Equal(first.Body, second.Body);
        Assert.Equal(first.Response.Headers.Location, second.Response.Headers.Location);
        Assert.False(first.Response.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", second.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal("pending", JsonDocument.Parse(second.Body).RootElement.GetProperty("status").GetString());
        Assert.Equal(1, await RowsWithHashAsync(bytes));
    }

    [Fact]
    public async Task TenConcurrentRetriesWithOneKeyCreateOneImageAndAllGetItsResponse_FR9_4()
    {
        var bytes = TestImages.Png(64, 48, seed: 902);
        var key = Guid.NewGuid().ToString();

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => PostAsync(bytes, key)));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Created, a.Status));
        Assert.Single(answers.Select(a => a.Body).Distinct());
        Assert.Equal(9, answers.Count(a => a.Response.Headers.Contains("Idempotent-Replayed")));
        Assert.Equal(1, await RowsWithHashAsync(bytes));
        Assert.Equal(1, await api.ScalarAsync($"SELECT count(*) FROM idempotency_keys WHERE key = '{key}'"));
    }

    [Fact]
    public async Task TheSameKeyWithADifferentUploadIs422AndStoresNothing_FR9_4()
    {
        var key = Guid.NewGuid().ToString();
        var bytes = TestImages.Png(64, 48, seed: 903);
        var other = TestImages.Png(64, 48, seed: 904);
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(bytes, key)).Status);

        foreach (var (changed, fields) in new[] { (other, Array.Empty<(string, string)>()), (bytes, [("tags", "x")]), (bytes, [("ttl_hours", "5")]) })
        {
            var answer = await PostAsync(changed, key, fields: fields);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, answer.Status);
            Assert.Equal("application/problem+json", answer.Response.Content.Headers.ContentType!.MediaType);
            Assert.Contains("Idempotency-Key", JsonDocument.Parse(answer.Body).RootElement.GetProperty("title").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(0, await RowsWithHashAsync(other));
        Assert.Equal(1, await RowsWithHashAsync(bytes));
    }

    [Fact]
    public async Task TheQuotedAndTheBareFormsAreOneKeyAndOtherKeysAreOtherUploads_FR9_4()
    {
        var bytes = TestImages.Png(64, 48, seed: 905);
        var key = Guid.NewGuid().ToString("N");

        var bare = await PostAsync(bytes, key);
        var quoted = await PostAsync(bytes, $"\"{key}\"");
        var another = await PostAsync(bytes, key + "-2");
        var none = await PostAsync(bytes, null);

        Assert.Equal(bare.Body, quoted.Body);
        Assert.NotEqual(bare.Body, another.Body);
        Assert.Equal(HttpStatusCode.Created, none.Status);
        Assert.Equal(3, await RowsWithHashAsync(bytes));
    }

    [Theory]
    [InlineData("  ")]
    [InlineData("\"\"")]
    [InlineData("has space")]
    [InlineData("quote\"inside")]
    [InlineData("LONG")]
    public async Task AMalformedKeyIs422BeforeAnythingIsStored_FR9_4(string key)
    {
        var bytes = TestImages.Png(64, 48, seed: 950 + key.Length);
        var answer = await PostAsync(bytes, key == "LONG" ? new string('k', 256) : key);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, answer.Status);
        Assert.True(JsonDocument.Parse(answer.Body).RootElement.GetProperty("errors").TryGetProperty("Idempotency-Key", out _), answer.Body);
        Assert.Equal(0, await RowsWithHashAsync(bytes));
    }

    [Fact]
    public async Task AKeyOf255CharactersIsAccepted()
    {
        var answer = await PostAsync(TestImages.Png(64, 48, seed: 907), new string('k', 254) + Guid.NewGuid().ToString("N")[..1]);
        Assert.Equal(HttpStatusCode.Created, answer.Status);
    }

    [Fact]
    public async Task AFailedFirstRequestIsNotRememberedSoTheRetryIsProcessed_FR9_4()
    {
        var key = Guid.NewGuid().ToString();
        var refused = await PostAsync("not an image"u8.ToArray(), key, "image/png");
        var bytes = TestImages.Png(64, 48, seed: 908);
        var retried = await PostAsync(bytes, key);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, refused.Status);
        Assert.Equal(HttpStatusCode.Created, retried.Status);
        Assert.Equal(1, await RowsWithHashAsync(bytes));
    }

    [Fact]
    public async Task AKeyOlderThan24HoursIsTakenOverByANewUpload_FR9_4()
    {
        var key = Guid.NewGuid().ToString();
        var bytes = TestImages.Png(64, 48, seed: 909);
        var first = await PostAsync(bytes, key);
        Assert.Equal(1, await api.ScalarAsync($"SELECT count(*) FROM idempotency_keys WHERE key = '{key}' AND expires_at BETWEEN created_at + interval '23 hours 59 minutes' AND created_at + interval '24 hours 1 minute'"));
        await api.ExecuteAsync($"UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = '{key}'");

        var second = await PostAsync(bytes, key);

        Assert.Equal(HttpStatusCode.Created, second.Status);
        Assert.NotEqual(first.Body, second.Body);
        Assert.False(second.Response.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(2, await RowsWithHashAsync(bytes));
    }
}
