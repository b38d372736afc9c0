using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Application.Images.GetRendition;
using Images.Application.Images.Process;
using Images.Application.Maintenance.Reconcile;
using Images.Application.Retention.Sweep;
using Images.Domain.Images;

namespace Images.Tests.Application;

/// <summary>FR-8.1-FR-8.3 in the use cases, with fakes for the ports: what processing stores, negotiation, the 404/406/422 answers, deletion and reconciliation of derived files (NFR-9).</summary>
public class RenditionUseCaseTests
{
    private static readonly RenditionFormat[] Opaque = [RenditionFormat.Jpeg, RenditionFormat.Webp, RenditionFormat.Avif];
    private static readonly RenditionFormat[] WithAlpha = [RenditionFormat.Jpeg, RenditionFormat.Webp, RenditionFormat.Avif, RenditionFormat.Png];

    private static Image Seed(UseCaseHarness harness, int? ttl = null) => harness.Seed("logo.png", ImageFormat.Png, ttl);

    private static UseCaseHarness Harness(bool alpha = false) => new(processing: o =>
        o.Renditions = [new RenditionSize(Rendition.Thumbnail, 256), new RenditionSize("preview", 1024)])
    {
        Processor = { Behaviour = _ => new ImageMetadata(2000, 1000, ImageFormat.Png, alpha ? 4 : 3, alpha) },
    };

    private static AcceptedType[] Accept(params string[] ranges) =>
        [.. ranges.Select(r => r.Split(";q=") is [var type, var q] ? new AcceptedType(type, double.Parse(q, System.Globalization.CultureInfo.InvariantCulture)) : new AcceptedType(r, 1))];

    [Fact]
    public async Task ProcessingStoresEveryRenditionAndFormatAndTheThumbnailJpegWhereDownloadReadsIt_FR8_1()
    {
        using var harness = Harness(alpha: true);
        var image = Seed(harness);

        var dto = await harness.Get<ProcessImageHandler>().HandleAsync(image.Id, CancellationToken.None);

        Assert.Equal("completed", dto.Status);
        Assert.Equal(["thumbnail", "preview"], dto.Renditions.Select(r => r.Name));
        Assert.All(dto.Renditions, r => Assert.Equal(["jpeg", "webp", "avif", "png"], r.Formats));
        Assert.Equal("thumb"u8.ToArray(), harness.Blobs.Thumbnails[image.Id]);
        var stored = harness.Blobs.Derived.Keys.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(7, stored.Count); // 2 x 4 formats, the thumbnail's JPEG in thumbnails/
        Assert.All(stored, k => Assert.Equal(image.Id, DerivedKeys.Owner(k)));
        Assert.Contains(DerivedKeys.Rendition(image.Id, "preview", 1024, 1024, RenditionFormat.Avif), stored);
    }

    public static TheoryData<string[], bool, string> Negotiations => new()
    {
        { [], false, "jpeg" },
        { ["*/*"], false, "jpeg" },
        { ["image/*"], false, "jpeg" },
        { ["image/avif", "image/webp", "image/apng", "image/svg+xml", "image/*", "*/*;q=0.8"], false, "avif" }, // Chrome, Firefox
        { ["image/webp", "*/*"], false, "webp" },
        { ["image/webp;q=0.9", "image/avif;q=0.5", "*/*;q=0.1"], false, "webp" },
        { ["image/webp;q=0.9", "*/*"], false, "jpeg" }, // q says so: anything at 1 over WebP at 0.9
        { ["image/avif;q=0", "image/webp", "*/*"], false, "webp" },
        { ["image/jpeg"], false, "jpeg" },
        { ["text/html"], false, "jpeg" },
        { ["image/png"], true, "png" },
        { ["image/png"], false, "jpeg" },
        { ["image/png", "image/webp"], true, "webp" },
        { ["image/png", "image/webp;q=0.5"], true, "png" },
    };

    [Theory]
    [MemberData(nameof(Negotiations))]
    public void AcceptChoosesAvifThenWebpThenJpegAndPngOnlyWhenPreferred_FR8_3(string[] accept, bool alpha, string expected) =>
        Assert.Equal(expected, RenditionNegotiation.Choose(alpha ? WithAlpha : Opaque, Accept(accept)).ContractName());

    [Fact]
    public void WithoutAvifTheBrowserGetsWebp_FR8_3() =>
        Assert.Equal(RenditionFormat.Webp, RenditionNegotiation.Choose([RenditionFormat.Jpeg, RenditionFormat.Webp], Accept("image/avif", "image/webp", "*/*")));

    [Fact]
    public async Task UnknownNameNotMadeYetUnknownFormatAndMissingFormatsAreClearProblems_FR8_3()
    {
        using var harness = Harness();
        var pending = Seed(harness);
        var handler = harness.Get<GetRenditionHandler>();

        var unknown = await Assert.ThrowsAsync<NotFoundException>(() => handler.HandleAsync(new(pending.Id, "huge", null, []), CancellationToken.None));
        Assert.Contains("no rendition named 'huge'", unknown.Message, StringComparison.Ordinal);
        var notYet = await Assert.ThrowsAsync<NotFoundException>(() => handler.HandleAsync(new(pending.Id, "preview", null, []), CancellationToken.None));
        Assert.Contains("not made yet (status: pending)", notYet.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<NotFoundException>(() => handler.HandleAsync(new(Guid.NewGuid(), "preview", null, []), CancellationToken.None));
        var bad = await Assert.ThrowsAsync<ValidationException>(() => handler.HandleAsync(new(pending.Id, "preview", "gif", []), CancellationToken.None));
        Assert.Contains("format", bad.Errors.Keys);

        await harness.Get<ProcessImageHandler>().HandleAsync(pending.Id, CancellationToken.None);
        var png = await Assert.ThrowsAsync<ValidationException>(() => handler.HandleAsync(new(pending.Id, "preview", "png", []), CancellationToken.None));
        Assert.Contains("only for images with alpha", png.Errors["format"][0], StringComparison.Ordinal);

        // Processed where libavif was missing: AVIF is not acceptable, WebP is chosen instead.
        var row = harness.Repository.Rows[pending.Id];
        var withoutAvif = Image.Create(Guid.NewGuid(), "a.png", ImageFormat.Png, 10, row.ContentHash, [], null, harness.Clock.GetUtcNow());
        withoutAvif.StartProcessing(harness.Clock.GetUtcNow(), TimeSpan.FromMinutes(1), "test");
        withoutAvif.Complete(new ImageMetadata(10, 10, ImageFormat.Png, 3, false), [new Rendition("preview", 10, 10, [RenditionFormat.Jpeg, RenditionFormat.Webp])], harness.Clock.GetUtcNow());
        harness.Repository.Rows[withoutAvif.Id] = withoutAvif;
        await Assert.ThrowsAsync<NotAcceptableException>(() => handler.HandleAsync(new(withoutAvif.Id, "preview", "avif", []), CancellationToken.None));
    }

    [Fact]
    public async Task TheFileServedIsTheOneStoredUnderItsKey_FR8_3()
    {
        using var harness = Harness();
        var image = Seed(harness);
        await harness.Get<ProcessImageHandler>().HandleAsync(image.Id, CancellationToken.None);
        var handler = harness.Get<GetRenditionHandler>();

        var webp = await handler.HandleAsync(new(image.Id, "preview", null, Accept("image/webp", "*/*")), CancellationToken.None);
        var jpeg = await handler.HandleAsync(new(image.Id, "thumbnail", "jpeg", []), CancellationToken.None);

        Assert.Equal("image/webp", webp.ContentType);
        Assert.Equal("preview.webp"u8.ToArray(), ReadAll(webp.Content));
        Assert.Equal("thumb"u8.ToArray(), ReadAll(jpeg.Content)); // download?thumbnail=true's file
        Assert.Equal("image/jpeg", jpeg.ContentType);
    }

    [Fact]
    public async Task SweepDeletesTheRenditionsOfExpiredImages_FR4_2()
    {
        using var harness = Harness();
        var expiring = Seed(harness, ttl: 1);
        var kept = Seed(harness, ttl: 10);
        await harness.Get<ProcessImageHandler>().HandleAsync(expiring.Id, CancellationToken.None);
        await harness.Get<ProcessImageHandler>().HandleAsync(kept.Id, CancellationToken.None);
        harness.Clock.Advance(TimeSpan.FromHours(2));

        await harness.Get<SweepExpiredImagesHandler>().HandleAsync(CancellationToken.None);

        Assert.DoesNotContain(harness.Blobs.Derived.Keys, k => DerivedKeys.Owner(k) == expiring.Id);
        Assert.Equal(5, harness.Blobs.Derived.Keys.Count(k => DerivedKeys.Owner(k) == kept.Id));
    }

    [Fact]
    public async Task ReconciliationRemovesRenditionsOfGoneOrUncompletedImagesOnly_NFR9()
    {
        using var harness = Harness();
        var completed = Seed(harness);
        var failed = Seed(harness);
        await harness.Get<ProcessImageHandler>().HandleAsync(completed.Id, CancellationToken.None);
        await harness.Blobs.WriteDerivedAsync(DerivedKeys.Rendition(failed.Id, "preview", 10, 10, RenditionFormat.Webp), (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask(), CancellationToken.None);
        await harness.Blobs.WriteDerivedAsync(DerivedKeys.Rendition(Guid.NewGuid(), "preview", 10, 10, RenditionFormat.Webp), (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask(), CancellationToken.None);
        foreach (var key in harness.Blobs.WrittenAt.Keys.ToList())
        {
            harness.Blobs.WrittenAt[key] = DateTimeOffset.MinValue.AddYears(1); // older than the grace
        }

        var result = await harness.Get<ReconcileStorageHandler>().HandleAsync(CancellationToken.None);

        Assert.Equal(2, result.DerivedFiles);
        Assert.Equal(5, harness.Blobs.Derived.Count);
        Assert.All(harness.Blobs.Derived.Keys, k => Assert.Equal(completed.Id, DerivedKeys.Owner(k)));
    }

    [Fact]
    public async Task AnImageCompletedBeforeRenditionsServesItsThumbnailJpegAsTheThumbnail_FR8_2()
    {
        using var harness = Harness();
        var image = Seed(harness);
        image.StartProcessing(harness.Clock.GetUtcNow(), TimeSpan.FromMinutes(1), "test");
        image.Complete(new ImageMetadata(640, 480, ImageFormat.Png, 3, false), harness.Clock.GetUtcNow());
        harness.Blobs.Thumbnails[image.Id] = "old thumb"u8.ToArray();
        var handler = harness.Get<GetRenditionHandler>();

        var file = await handler.HandleAsync(new(image.Id, "thumbnail", null, Accept("image/avif", "image/webp", "*/*")), CancellationToken.None);

        Assert.Equal("image/jpeg", file.ContentType);
        Assert.Equal("old thumb"u8.ToArray(), ReadAll(file.Content));
        await Assert.ThrowsAsync<ValidationException>(() => handler.HandleAsync(new(image.Id, "thumbnail", "webp", []), CancellationToken.None));
        await Assert.ThrowsAsync<NotFoundException>(() => handler.HandleAsync(new(image.Id, "preview", null, []), CancellationToken.None));
    }

    private static byte[] ReadAll(Stream stream)
    {
        using (stream)
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return buffer.ToArray();
        }
    }
}
