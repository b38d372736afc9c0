using System.Text.Json;

namespace Images.Infrastructure.Webhooks;

/// <summary>The HTTP contract's JSON (snake_case), for what is stored to be sent or replayed later.</summary>
internal static class ContractJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
    };
}
