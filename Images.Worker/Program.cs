using Images.Application;
using Images.Infrastructure;
using Images.Worker;

var builder = WebApplication.CreateBuilder(args);

builder.ListenOnMetricsPort();
builder.AddServiceDefaults(role: "worker");
builder.AddApplication();
builder.AddPersistence();
builder.AddBlobStorage();
builder.AddImageProcessing();
builder.AddKafkaConsumer();
builder.AddRecovery();
builder.AddWebhooks();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
