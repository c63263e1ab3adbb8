using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Llm;

/// <summary>What OpenRouter billed for one generation, as its GET /generation reports it.</summary>
public sealed record GenerationCost(string Id, decimal TotalCostUsd, long PromptTokens, long CompletionTokens);

/// <summary>
/// Asks OpenRouter what a generation really cost (GET /generation?id=), with the operator's key.
/// OpenRouter makes a generation queryable a few seconds after it ends; until then it answers 404,
/// which is reported as null ("not known yet"), like any other failure to get an answer.
/// </summary>
public sealed class OpenRouterGenerationClient(HttpClient http, IOptions<OpenRouterOptions> options, ILogger<OpenRouterGenerationClient> logger)
{
    public async Task<GenerationCost?> GetAsync(string generationId, CancellationToken cancellationToken = default)
    {
        if (!options.Value.HasOperatorKey)
            return null;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(options.Value.BaseUri, "generation?id=" + Uri.EscapeDataString(generationId)));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Value.ApiKey);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            using var response = await http.SendAsync(request, timeout.Token);
            if (response.StatusCode == HttpStatusCode.NotFound)
                return null;
            if (!response.IsSuccessStatusCode)
            {
                logger.LogWarning("OpenRouter answered HTTP {Status} when asked for a generation's cost", (int)response.StatusCode);
                return null;
            }
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(timeout.Token));
            var data = doc.RootElement.GetProperty("data");
            if (!data.TryGetProperty("total_cost", out var cost) || cost.ValueKind != JsonValueKind.Number)
                return null;
            return new GenerationCost(generationId, cost.GetDecimal(), Number(data, "tokens_prompt"), Number(data, "tokens_completion"));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            logger.LogWarning("Asking OpenRouter for a generation's cost failed: {Error}", ex.GetType().Name);
            return null;
        }
    }

    private static long Number(JsonElement data, string name) =>
        data.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;
}
