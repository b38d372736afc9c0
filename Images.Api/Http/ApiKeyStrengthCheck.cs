using Microsoft.Extensions.Options;

namespace Images.Api.Http;

/// <summary>
/// FR-7.1: warns once at start-up when IMG_API_KEY is shorter than
/// <see cref="ApiOptions.RecommendedApiKeyLength"/> characters. Such keys keep working (the seed's
/// clients may use them); the warning is for the operator. The placeholder key is refused earlier,
/// by the options validation in <see cref="ApiOptions.Bind"/>.
/// </summary>
internal sealed partial class ApiKeyStrengthCheck(IOptions<ApiOptions> options, ILogger<ApiKeyStrengthCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.ApiKey is { Length: < ApiOptions.RecommendedApiKeyLength })
        {
            LogShortKey(ApiOptions.RecommendedApiKeyLength);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "IMG_API_KEY is shorter than {RecommendedLength} characters; it is accepted, but use a longer random key")]
    private partial void LogShortKey(int recommendedLength);
}
