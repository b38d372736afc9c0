using Images.Infrastructure;
using Images.MigrationService;

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults(role: "migrations");
builder.AddImagesDatabase();
if (SchemaWaitOptions.FromArguments(args) is { } schemaWait)
{
    // Init container of the api and worker pods: wait until the migrations are applied.
    builder.Services.AddSingleton(schemaWait);
    builder.Services.AddHostedService<SchemaWaiter>();
}
else
{
    builder.Services.AddHostedService<MigrationWorker>();
}

builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(MigrationWorker.ActivitySourceName));

builder.Build().Run();
