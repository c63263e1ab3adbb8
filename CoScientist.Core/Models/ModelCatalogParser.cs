using System.Globalization;
using System.Text.Json;

namespace CoScientist.Core.Models;

/// <summary>Reads OpenRouter's GET /models answer, both its 2025 and 2026 shapes.</summary>
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
            var pricing = item.TryGetProperty("pricing", out var p) ? p : default;
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
