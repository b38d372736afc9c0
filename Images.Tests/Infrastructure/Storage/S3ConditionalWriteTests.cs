using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Images.Infrastructure.Storage.S3;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Images.Tests.Infrastructure.Storage;

/// <summary>
/// FR-1.7 on stores that honour conditional writes (AWS S3, MinIO), which s3rver does not: the
/// original is created with <c>If-None-Match: *</c>, and a 412 means "those bytes are there already".
/// Played by a scripted client, since no such server runs here.
/// </summary>
public sealed class S3ConditionalWriteTests : IDisposable
{
    private readonly string _staging = Path.Combine(Path.GetTempPath(), "images-tests-conditional-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose() => Directory.Delete(_staging, recursive: true);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task OriginalsAreCreatedWithIfNoneMatchAndA412MeansAlreadyStored_FR1_7(bool conditional)
    {
        var client = ScriptedS3.Create(putAnswersPreconditionFailed: conditional);
        using var store = new S3BlobStore(client, Options.Create(new S3StorageOptions { Bucket = "b", StagingDirectory = _staging, ConditionalWrites = conditional }),
            null, TimeProvider.System, NullLogger<S3BlobStore>.Instance);
        await using var staged = await store.StageAsync(ReadOnlyMemory<byte>.Empty, new MemoryStream(RandomNumberGenerator.GetBytes(100)), 1000, CancellationToken.None);

        var created = await store.PlaceAsync(staged, CancellationToken.None);

        var put = Assert.Single(ScriptedS3.Of(client).Puts);
        Assert.Equal(conditional ? "*" : null, put.IfNoneMatch);
        Assert.Equal($"originals/{staged.Hash.Value[..2]}/{staged.Hash.Value[2..4]}/{staged.Hash.Value}", put.Key);
        Assert.Equal(!conditional, created);
        Assert.Empty(Directory.GetFiles(_staging));
    }

    /// <summary>An IAmazonS3 that answers HEAD with 404 and PUT with success, or with 412 Precondition Failed.</summary>
    public class ScriptedS3 : DispatchProxy
    {
        public List<PutObjectRequest> Puts { get; } = [];

        public bool PutAnswersPreconditionFailed { get; set; }

        public static IAmazonS3 Create(bool putAnswersPreconditionFailed)
        {
            var client = DispatchProxy.Create<IAmazonS3, ScriptedS3>();
            Of(client).PutAnswersPreconditionFailed = putAnswersPreconditionFailed;
            return client;
        }

        public static ScriptedS3 Of(IAmazonS3 client) => (ScriptedS3)(object)client;

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            switch (targetMethod!.Name)
            {
                case nameof(IAmazonS3.GetObjectMetadataAsync):
                    return Task.FromException<GetObjectMetadataResponse>(new AmazonS3Exception("Not Found") { StatusCode = HttpStatusCode.NotFound, ErrorCode = "NotFound" });
                case nameof(IAmazonS3.PutObjectAsync):
                    Puts.Add((PutObjectRequest)args![0]!);
                    return PutAnswersPreconditionFailed
                        ? Task.FromException<PutObjectResponse>(new AmazonS3Exception("At least one of the pre-conditions you specified did not hold") { StatusCode = HttpStatusCode.PreconditionFailed, ErrorCode = "PreconditionFailed" })
                        : Task.FromResult(new PutObjectResponse { HttpStatusCode = HttpStatusCode.OK });
                case nameof(IDisposable.Dispose):
                    return null;
                default:
                    throw new NotSupportedException(targetMethod.Name);
            }
        }
    }
}
