using Images.Api;
using Images.Api.Endpoints;
using Images.Application;
using Images.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplication();
builder.AddPersistence();
builder.AddBlobStorage();
builder.AddImageProcessing();
builder.AddProcessingQueue();
builder.AddRecovery();
builder.AddScheduledMaintenance();
builder.AddWebhooks();
builder.AddWebhookDispatcher();
builder.AddImageEvents();
builder.AddApi();

var app = builder.Build();

app.UseApi();
app.MapDefaultEndpoints();
app.MapApiDocs();
app.MapImagesEndpoints();
app.MapSignedUrlEndpoints();
app.MapRetentionEndpoints();
app.MapWebhookEndpoints();
app.MapEventsEndpoints();
app.MapStatsEndpoints();
app.MapConsole();

app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
