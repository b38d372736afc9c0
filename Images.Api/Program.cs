using Images.Api;
using Images.Api.Endpoints;
using Images.Infrastructure;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddInfrastructure();
builder.AddBackgroundProcessing();
builder.AddApi();

var app = builder.Build();

app.UseApi();
app.MapDefaultEndpoints(app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.ServiceName);
app.MapApiDocs();
app.MapImagesEndpoints();
app.MapRetentionEndpoints();

app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
