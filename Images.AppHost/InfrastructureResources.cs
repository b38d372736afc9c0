using Images.DevBroker;
using Images.Contracts;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Images.AppHost;

/// <summary>The three ways to provide PostgreSQL and Kafka; each returns the same resource names.</summary>
public static class InfrastructureResources
{
    private const string TaskTopic = TopicNames.Tasks;
    private const int TaskTopicPartitions = 6;

    /// <summary>
    /// A folder under the AppHost's <c>.data</c> directory (kept across restarts), or under
    /// <c>Images:DataDirectory</c> when set (the tests use a fresh one).
    /// </summary>
    public static string DataDirectory(this IDistributedApplicationBuilder builder, string name)
    {
        var root = builder.Configuration["Images:DataDirectory"] is { Length: > 0 } configured
            ? configured
            : Path.Combine(builder.AppHostDirectory, ".data");
        var path = Path.Combine(root, name);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>
    /// Local mode: PostgreSQL from the machine's binaries as an executable resource (data kept in
    /// <c>.data/postgres</c>), and Kafka as the in-memory development broker run by this process.
    /// </summary>
    public static (IResourceBuilder<IResourceWithConnectionString> Database, IResourceBuilder<IResource> DatabaseServer, IResourceBuilder<IResourceWithConnectionString> Kafka)
        AddLocalInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var data = Path.Combine(builder.DataDirectory("postgres-cluster"), "data");
        var script = Path.Combine(builder.AppHostDirectory, "scripts", "local-postgres.sh");
        var postgres = builder.AddExecutable(ResourceNames.Postgres, "bash", builder.AppHostDirectory, script, data)
            .WithEndpoint(name: "tcp", scheme: "tcp", env: "PGPORT");
        var endpoint = postgres.GetEndpoint("tcp");
        var database = builder.AddConnectionString(
            ResourceNames.Database,
            ReferenceExpression.Create($"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username=postgres;Password=postgres;Database={ResourceNames.Database}"));

        var healthCheck = $"{ResourceNames.Postgres}-accepts-connections";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheck, async cancellationToken =>
        {
            try
            {
                var connectionString = await ReferenceExpression.Create(
                    $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username=postgres;Password=postgres;Database=postgres;Timeout=3")
                    .GetValueAsync(cancellationToken);
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("PostgreSQL does not accept connections yet.", ex);
            }
        });
        postgres.WithHealthCheck(healthCheck);

        // The development broker: librdkafka's mock cluster, in memory, alive as long as the AppHost.
        var cluster = MockKafkaCluster.Start(brokers: 1);
        cluster.CreateTopic(TaskTopic, TaskTopicPartitions);
        cluster.CreateTopic(TopicNames.DeadLetters, 1);
        builder.Services.AddSingleton(cluster);
        var kafka = builder.AddConnectionString(ResourceNames.Kafka, ReferenceExpression.Create($"{cluster.BootstrapServers}"));

        return (database, postgres, kafka);
    }

    /// <summary>Containers mode: Aspire's PostgreSQL integration and an apache/kafka container in KRaft mode.</summary>
    public static (IResourceBuilder<IResourceWithConnectionString> Database, IResourceBuilder<IResource> DatabaseServer, IResourceBuilder<IResourceWithConnectionString> Kafka)
        AddContainerInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var postgres = builder.AddPostgres(ResourceNames.Postgres).WithDataVolume();
        var database = postgres.AddDatabase(ResourceNames.Database);
        var kafka = builder.AddResource(new KafkaContainerResource(ResourceNames.Kafka))
            .WithImage("apache/kafka", "3.9.1")
            .WithEndpoint(targetPort: KafkaContainerResource.ExternalPort, name: KafkaContainerResource.PrimaryEndpointName, scheme: "tcp")
            .WithEnvironment(context =>
            {
                var endpoint = context.Resource is KafkaContainerResource k ? k.PrimaryEndpoint : null;
                context.EnvironmentVariables["KAFKA_NODE_ID"] = "1";
                context.EnvironmentVariables["KAFKA_PROCESS_ROLES"] = "broker,controller";
                context.EnvironmentVariables["KAFKA_CONTROLLER_QUORUM_VOTERS"] = "1@localhost:9093";
                context.EnvironmentVariables["KAFKA_LISTENERS"] = $"PLAINTEXT://:{KafkaContainerResource.ExternalPort},CONTROLLER://:9093,INTERNAL://:9094";
                context.EnvironmentVariables["KAFKA_ADVERTISED_LISTENERS"] = ReferenceExpression.Create(
                    $"PLAINTEXT://{endpoint!.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)},INTERNAL://localhost:9094");
                context.EnvironmentVariables["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"] = "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT";
                context.EnvironmentVariables["KAFKA_CONTROLLER_LISTENER_NAMES"] = "CONTROLLER";
                context.EnvironmentVariables["KAFKA_INTER_BROKER_LISTENER_NAME"] = "INTERNAL";
                context.EnvironmentVariables["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] = "1";
                context.EnvironmentVariables["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] = "1";
                context.EnvironmentVariables["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] = "1";
                context.EnvironmentVariables["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] = "0";
            })
            .WithHealthCheck(KafkaContainerResource.AddHealthCheck(builder));
        return (database, postgres, kafka);
    }

    /// <summary>External mode: servers that already exist, from ConnectionStrings:imagesdb and ConnectionStrings:kafka.</summary>
    public static (IResourceBuilder<IResourceWithConnectionString> Database, IResourceBuilder<IResource> DatabaseServer, IResourceBuilder<IResourceWithConnectionString> Kafka)
        AddExternalInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var database = builder.AddConnectionString(ResourceNames.Database);
        var kafka = builder.AddConnectionString(ResourceNames.Kafka);
        return (database, database, kafka);
    }

    /// <summary>
    /// What the api and the worker both need: the database and Kafka (and to wait for them), the
    /// finished migrations, the Kafka pipeline switched on and a health check (the blob store:
    /// <see cref="BlobStorageExtensions.WithBlobStorage"/>).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithImagesDependencies(
        this IResourceBuilder<ProjectResource> project,
        IResourceBuilder<IResourceWithConnectionString> database,
        IResourceBuilder<IResource> databaseServer,
        IResourceBuilder<IResourceWithConnectionString> kafka,
        IResourceBuilder<ProjectResource> migrations,
        bool volatileBroker) =>
        project
            .WithReference(database)
            .WithReference(kafka)
            .WaitFor(databaseServer)
            .WaitFor(kafka)
            .WaitForCompletion(migrations)
            .WithEnvironment("IMG_BROKER_ENABLED", "true")
            // The development broker forgets its topics when the AppHost stops: pending images
            // are queued again at start-up rather than after the 15-minute requeue.
            .WithEnvironment("IMG_BROKER_VOLATILE", volatileBroker ? "true" : "false")
            // It speaks KIP-848's group protocol, with which a Worker that joins or leaves does not
            // stop the group (the mock's classic rebalance waits out the session timeout; ADR 9).
            .WithEnvironment("IMG_KAFKA_GROUP_PROTOCOL", volatileBroker ? "consumer" : "classic")
            .WithHttpHealthCheck("/health");
}
