using System.Globalization;
using System.Text.Json;

namespace CoScientist.Core.Models;

/// <summary>
/// Reads a GET /models answer: OpenRouter's, both its 2025 and 2026 shapes, or a local OpenAI-compatible server's
/// (llama.cpp, Ollama, vLLM, LM Studio), whose models carry no pricing object at all and are read as local, at $0.
/// </summary>
public static class ModelCatalogParser
{
    public static IReadOnlyList<ModelInfo> Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            throw new FormatException("The /models answer has no 'data' array.");

        var models = new List<ModelInfo>();
        foreach (var item in data.EnumerateArray())
        {
            if (String(item, "id") is not { Length: > 0 } id)
                continue;
            if (!item.TryGetProperty("pricing", out var pricing))
            {
                models.Add(Local(item, id));
                continue;
            }
            var prompt = Price(pricing, "prompt");
            var completion = Price(pricing, "completion");
            var worstPrompt = prompt;
            var worstCompletion = completion;
            if (pricing.ValueKind == JsonValueKind.Object && pricing.TryGetProperty("overrides", out var overrides) &&
                overrides.ValueKind == JsonValueKind.Array)
            {
                foreach (var o in overrides.EnumerateArray())
                {
                    worstPrompt = Max(worstPrompt, Price(o, "prompt"));
                    worstCompletion = Max(worstCompletion, Price(o, "completion"));
                }
            }

            var parameters = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            if (item.TryGetProperty("supported_parameters", out var sp) && sp.ValueKind == JsonValueKind.Array)
                foreach (var s in sp.EnumerateArray())
                    if (s.GetString() is { } name) parameters.Add(name);

            int? maxCompletion = null;
            if (item.TryGetProperty("top_provider", out var top) && top.ValueKind == JsonValueKind.Object &&
                top.TryGetProperty("max_completion_tokens", out var mct) && mct.ValueKind == JsonValueKind.Number)
                maxCompletion = mct.GetInt32();

            var context = item.TryGetProperty("context_length", out var cl) && cl.ValueKind == JsonValueKind.Number ? cl.GetInt32() : 0;
            models.Add(new ModelInfo(id, String(item, "name") ?? id, prompt, completion, context, maxCompletion, parameters)
            {
                WorstPromptPrice = worstPrompt,
                WorstCompletionPrice = worstCompletion,
                RequestPrice = Price(pricing, "request") is > 0 and var fee ? fee : null,
            });
        }
        return models;
    }

    /// <summary>
    /// A model of the operator's own server: nothing is billed, so it costs $0 (not "unknown", which a cap must refuse).
    /// Such servers list no parameters; structured output is tried first, and the gateway steps down when refused.
    /// </summary>
    private static ModelInfo Local(JsonElement item, string id)
    {
        var meta = item.TryGetProperty("meta", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        // llama.cpp reports the loaded context (meta.n_ctx) and the trained one; vLLM its max_model_len; Ollama nothing.
        var context = Int(meta, "n_ctx") ?? Int(meta, "n_ctx_train") ?? Int(item, "max_model_len") ?? Int(item, "context_length") ?? 0;
        return new ModelInfo(id, String(item, "name") ?? id, 0m, 0m, context, null,
            new HashSet<string>(["structured_outputs", "response_format"], StringComparer.OrdinalIgnoreCase))
        {
            WorstPromptPrice = 0m,
            WorstCompletionPrice = 0m,
            IsLocal = true,
        };
    }

    private static int? Int(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n > 0 ? n : null;

    private static decimal? Max(decimal? a, decimal? b) => a is null || b is null ? a ?? b : Math.Max(a.Value, b.Value);

    private static string? String(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A price string; negative ("-1", a router) or unreadable means unknown.</summary>
    private static decimal? Price(JsonElement pricing, string name)
    {
        if (pricing.ValueKind != JsonValueKind.Object || !pricing.TryGetProperty(name, out var v))
            return null;
        var text = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        };
        return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var price) && price >= 0 ? price : null;
    }
}
