using Images.AppHost;
using Images.Contracts;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);

// A published manifest describes a deployment: containers (or, in Kubernetes, the overlays' servers).
var mode = builder.ExecutionContext.IsPublishMode ? InfrastructureMode.Containers : InfrastructureModes.Resolve(builder.Configuration);
var (database, databaseServer, kafka) = mode switch
{
    InfrastructureMode.Containers => builder.AddContainerInfrastructure(),
    InfrastructureMode.External => builder.AddExternalInfrastructure(),
    _ => builder.AddLocalInfrastructure(),
};
var storage = BlobStorage.Add(builder, mode);
var volatileBroker = mode == InfrastructureMode.Local; // the in-memory development broker

var migrations = builder.AddProject<Projects.Images_MigrationService>(ResourceNames.Migrations)
    .WithReference(database)
    .WaitFor(databaseServer);

builder.AddProject<Projects.Images_Api>(ResourceNames.Api)
    .WithImagesDependencies(database, databaseServer, kafka, migrations, volatileBroker)
    .WithBlobStorage(storage);

// The Worker's launch profile pins no port (so that Workers started by hand each take their own
// IMG_WORKER_METRICS_PORT): here it gets an http endpoint on a free port, and each replica its own.
builder.AddProject<Projects.Images_Worker>(ResourceNames.Worker)
    .WithHttpEndpoint(name: "http")
    .WithReplicas(builder.Configuration.GetValue("Images:WorkerReplicas", 2))
    .WithImagesDependencies(database, databaseServer, kafka, migrations, volatileBroker)
    .WithBlobStorage(storage);

builder.Build().Run();
