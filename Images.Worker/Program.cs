using Images.Infrastructure;
using Images.Worker;

var builder = WebApplication.CreateBuilder(args);

builder.ListenOnMetricsPort();
builder.AddServiceDefaults();
builder.AddInfrastructure();
builder.AddKafkaWorker();

var app = builder.Build();

app.MapDefaultEndpoints(builder.Configuration["IMG_OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name + "-worker" : "image-processing-worker");

app.Run();
