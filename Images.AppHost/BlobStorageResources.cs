using Images.Contracts;
using Microsoft.Extensions.Configuration;

namespace Images.AppHost;

/// <summary>
/// Where the Api and the Workers keep originals and thumbnails (FR-11, setting <c>Images:Storage</c>):
/// a folder of this machine, or an S3-compatible store. Containers mode runs MinIO (the default
/// there); local and external modes keep the folder unless <c>Images:Storage=s3</c>, and then take the
/// store from the AppHost's <c>ConnectionStrings:s3</c>
/// (<c>Endpoint=...;Bucket=...;AccessKey=...;SecretKey=...</c>).
/// </summary>
public sealed record BlobStorage(string? Folder, IResourceBuilder<IResourceWithConnectionString>? ObjectStore, IResourceBuilder<IResource>? Server)
{
    public const string Setting = "Images:Storage";
    public const string MinioName = "minio";
    public const string Bucket = "images";

    public static BlobStorage Add(IDistributedApplicationBuilder builder, InfrastructureMode mode)
    {
        var choice = builder.Configuration[Setting] is { Length: > 0 } configured
            ? configured.ToLowerInvariant()
            : mode == InfrastructureMode.Containers ? "s3" : "filesystem";
        return choice switch
        {
            "filesystem" => new BlobStorage(builder.DataDirectory("storage"), null, null),
            "s3" when mode == InfrastructureMode.Containers => AddMinio(builder),
            "s3" => new BlobStorage(null, builder.AddConnectionString(ResourceNames.ObjectStore), null),
            _ => throw new InvalidOperationException($"{Setting} must be filesystem or s3; got '{choice}'."),
        };
    }

    /// <summary>MinIO as a container, its data in a volume, and the connection string the services read.</summary>
    private static BlobStorage AddMinio(IDistributedApplicationBuilder builder)
    {
        var user = builder.AddParameter("minio-user", "images");
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, "minio-password");
        var minio = builder.AddContainer(MinioName, "minio/minio", "RELEASE.2025-04-22T22-12-26Z")
            .WithArgs("server", "/data")
            .WithHttpEndpoint(targetPort: 9000, name: "http")
            .WithEnvironment("MINIO_ROOT_USER", user)
            .WithEnvironment("MINIO_ROOT_PASSWORD", password)
            .WithVolume("images-minio-data", "/data")
            .WithHttpHealthCheck("/minio/health/ready", endpointName: "http");
        var endpoint = minio.GetEndpoint("http");
        var store = builder.AddConnectionString(
            ResourceNames.ObjectStore,
            ReferenceExpression.Create(
                $"Endpoint=http://{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)};Bucket={Bucket};AccessKey={user};SecretKey={password};ForcePathStyle=true"));
        return new BlobStorage(null, store, minio);
    }
}

public static class BlobStorageExtensions
{
    /// <summary>The folder (IMG_STORAGE_BASE_DIR), or the S3 store: backend, connection string, and MinIO to wait for.</summary>
    public static IResourceBuilder<ProjectResource> WithBlobStorage(this IResourceBuilder<ProjectResource> project, BlobStorage storage)
    {
        if (storage.ObjectStore is null)
        {
            return project.WithEnvironment("IMG_STORAGE_BASE_DIR", storage.Folder!);
        }

        project.WithReference(storage.ObjectStore).WithEnvironment("IMG_STORAGE_BACKEND", "s3");
        if (storage.Server is not null)
        {
            // A fresh MinIO has no bucket: the services create it at start-up.
            project.WaitFor(storage.Server).WithEnvironment("IMG_S3_CREATE_BUCKET", "true");
        }

        return project;
    }
}
