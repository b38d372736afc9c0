namespace Images.Contracts;

/// <summary>
/// The names of the Aspire resources, shared by the AppHost, the services (which read the
/// connection strings ConnectionStrings:imagesdb, ConnectionStrings:kafka and ConnectionStrings:s3) and the tests.
/// </summary>
public static class ResourceNames
{
    public const string Postgres = "postgres";
    public const string Database = "imagesdb";
    public const string Kafka = "kafka";
    public const string Migrations = "migrations";
    public const string Api = "api";
    public const string Worker = "worker";

    /// <summary>The S3-compatible object store (MinIO in the AppHost's containers mode); ConnectionStrings:s3.</summary>
    public const string ObjectStore = "s3";
}
