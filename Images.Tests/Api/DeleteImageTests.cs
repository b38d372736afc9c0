using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Images.Tests.Support;

namespace Images.Tests.Api;

/// <summary>Two renditions (so derived files exist besides the thumbnail) and webhooks that may target loopback.</summary>
public sealed class DeleteImageFixture : ApiFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["IMG_RENDITIONS"] = "thumbnail:256,preview:64",
        ["IMG_WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "true",
    };
}

/// <summary>FR-12.2: DELETE /api/v1/images/{id} through the real HTTP pipeline, PostgreSQL and storage folder.</summary>
public class DeleteImageTests(DeleteImageFixture api) : IClassFixture<DeleteImageFixture>
{
    private readonly HttpClient _client = api.Client;

    private static string Id(JsonElement e) => e.GetProperty("id").GetString()!;

    private static string Compact(string id) => id.Replace("-", "", StringComparison.Ordinal);

    private string ThumbnailPath(string id) => Path.Combine(api.Factory.StorageDirectory, "thumbnails", Compact(id)[..2], Compact(id) + ".jpg");

    private string DerivedFolder(string id) => Path.Combine(api.Factory.StorageDirectory, "derived", Compact(id)[..2], Compact(id));

    private string OriginalPath(string hash) => Path.Combine(api.Factory.StorageDirectory, "originals", hash[..2], hash[2..4], hash);

    [Fact]
    public async Task DeleteRemovesTheRowThumbnailRenditionsAndOriginal_FR12_2()
    {
        var image = await _client.UploadAsync(TestImages.Jpeg(320, 200, seed: 1601), "image/jpeg");
        var id = Id(image);
        var hash = image.GetProperty("content_hash").GetString()!;
        await _client.WaitForStatusAsync(id, TimeSpan.FromSeconds(30), "completed");
        Assert.True(File.Exists(ThumbnailPath(id)));
        Assert.NotEmpty(Directory.GetFiles(DerivedFolder(id)));
        Assert.True(File.Exists(OriginalPath(hash)));

        using var deleted = await _client.DeleteAsync($"/api/v1/images/{id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/v1/images/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/v1/images/{id}/download")).StatusCode);
        Assert.False(File.Exists(ThumbnailPath(id)));
        Assert.False(Directory.Exists(DerivedFolder(id)) && Directory.GetFiles(DerivedFolder(id)).Length > 0);
        Assert.False(File.Exists(OriginalPath(hash)));
        var list = await _client.GetJsonAsync("/api/v1/images/?limit=100");
        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), i => Id(i) == id);
    }

    [Fact]
    public async Task DeleteKeepsAnOriginalThatAnotherImageShares_FR12_2_FR1_7()
    {
        var bytes = TestImages.Png(90, 70, seed: 1602);
        var first = Id(await _client.UploadAsync(bytes, "image/png"));
        var second = await _client.UploadAsync(bytes, "image/png");
        var hash = second.GetProperty("content_hash").GetString()!;
        await _client.WaitForStatusAsync(first, TimeSpan.FromSeconds(30), "completed");
        await _client.WaitForStatusAsync(Id(second), TimeSpan.FromSeconds(30), "completed");

        using var deleted = await _client.DeleteAsync($"/api/v1/images/{first}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.True(File.Exists(OriginalPath(hash)));
        using var original = await _client.GetAsync($"/api/v1/images/{Id(second)}/download");
        Assert.Equal(bytes, await original.Content.ReadAsByteArrayAsync());
        Assert.True(File.Exists(ThumbnailPath(Id(second))));

        // The last reference gone, the bytes go too.
        using var last = await _client.DeleteAsync($"/api/v1/images/{Id(second)}");
        Assert.Equal(HttpStatusCode.NoContent, last.StatusCode);
        Assert.False(File.Exists(OriginalPath(hash)));
    }

    [Fact]
    public async Task DeleteOfAnUnknownIdIs404AndOfAMalformedOne422_FR12_2()
    {
        using var unknown = await _client.DeleteAsync($"/api/v1/images/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

        using var malformed = await _client.DeleteAsync("/api/v1/images/not-a-uuid");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, malformed.StatusCode);

        var id = Id(await _client.UploadAsync(TestImages.Png(40, 40, seed: 1603), "image/png"));
        await _client.WaitForStatusAsync(id, TimeSpan.FromSeconds(30), "completed", "failed");
        using var once = await _client.DeleteAsync($"/api/v1/images/{id}");
        using var twice = await _client.DeleteAsync($"/api/v1/images/{id}");
        Assert.Equal(HttpStatusCode.NoContent, once.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, twice.StatusCode);
    }

    [Fact]
    public async Task TwoConcurrentDeletesGiveOne204AndOne404_FR12_2()
    {
        var id = Id(await _client.UploadAsync(TestImages.Png(48, 32, seed: 1604), "image/png"));
        await _client.WaitForStatusAsync(id, TimeSpan.FromSeconds(30), "completed", "failed");

        var answers = await Task.WhenAll(_client.DeleteAsync($"/api/v1/images/{id}"), _client.DeleteAsync($"/api/v1/images/{id}"));

        Assert.Equal(
            [HttpStatusCode.NoContent, HttpStatusCode.NotFound],
            answers.Select(a => a.StatusCode).Order().ToArray());
        foreach (var answer in answers)
        {
            answer.Dispose();
        }
    }

    [Fact]
    public async Task DeleteRecordsImageDeletedForWebhooksWithTheImageAsItWas_FR12_2_FR10_2()
    {
        using var subscribed = await _client.PostAsJsonAsync("/api/v1/webhooks", new { url = "http://127.0.0.1:9/deleted", events = new[] { "image.deleted" } });
        Assert.Equal(HttpStatusCode.Created, subscribed.StatusCode);
        var subscription = (await subscribed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var id = Id(await _client.UploadAsync(TestImages.Png(50, 30, seed: 1605), "image/png", ("tags", "doomed")));
        await _client.WaitForStatusAsync(id, TimeSpan.FromSeconds(30), "completed");

        using var deleted = await _client.DeleteAsync($"/api/v1/images/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        var deliveries = (await _client.GetJsonAsync($"/api/v1/webhooks/{subscription}/deliveries")).GetProperty("items").EnumerateArray().ToList();
        var delivery = Assert.Single(deliveries);
        Assert.Equal("image.deleted", delivery.GetProperty("type").GetString());
        await _client.DeleteAsync($"/api/v1/webhooks/{subscription}");
    }
}
