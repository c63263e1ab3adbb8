namespace CoScientist.Core.Models;

/// <summary>
/// One model of OpenRouter's catalogue, or of a local OpenAI-compatible server's. Prices are USD per token; null when
/// unknown or a router's "-1"; zero for a local model (<see cref="IsLocal"/>: listed without any pricing, as llama.cpp,
/// Ollama, vLLM and LM Studio list theirs), which runs on the operator's own hardware and is shown as "local, not metered".
/// </summary>
public sealed record ModelInfo(
    string Id,
    string Name,
    decimal? PromptPrice,
    decimal? CompletionPrice,
    int ContextLength,
    int? MaxCompletionTokens,
    IReadOnlySet<string> SupportedParameters)
{
    /// <summary>The dearest price any of the model's conditional overrides can reach; what a budget must assume.</summary>
    public decimal? WorstPromptPrice { get; init; }
    public decimal? WorstCompletionPrice { get; init; }
    /// <summary>A flat fee per request, where the model has one (OpenRouter's "request" price).</summary>
    public decimal? RequestPrice { get; init; }
    public bool IsLocal { get; init; }

    public bool IsFreeVariant => Id.EndsWith(":free", StringComparison.Ordinal);
    public bool IsPriceKnown => PromptPrice is >= 0 && CompletionPrice is >= 0;
    public bool IsFree => IsPriceKnown && PromptPrice == 0 && CompletionPrice == 0;
    public bool SupportsStructuredOutputs => SupportedParameters.Contains("structured_outputs");
    public bool SupportsResponseFormat => SupportedParameters.Contains("response_format");

    public decimal? PromptPricePerMillion => PromptPrice * 1_000_000m;
    public decimal? CompletionPricePerMillion => CompletionPrice * 1_000_000m;

    /// <summary>USD per million tokens for a typical 3:1 input:output mix, the figure price ceilings compare.</summary>
    public decimal? BlendedPricePerMillion => IsPriceKnown ? (3 * PromptPricePerMillion + CompletionPricePerMillion) / 4 : null;
}
