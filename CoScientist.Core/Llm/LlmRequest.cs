using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CoScientist.Core.Research;

namespace CoScientist.Core.Llm;

public enum KeyKind { Operator, Visitor }

/// <summary>A JSON schema the answer must follow; <see cref="Name"/> also names the call in logs and tests.</summary>
public sealed record JsonSchemaSpec(string Name, JsonObject Schema);

/// <summary>
/// Who is calling and on whose money. Travels with every call (see <see cref="LlmCall"/>) so that the middleware
/// around the SDK (quotas, budget, ledger) never keeps per-user facts in singleton fields.
/// </summary>
public sealed record LlmCallContext
{
    public string SessionId { get; init; } = "anonymous";
    public string ClientHash { get; init; } = "unknown";
    public KeyKind KeyKind { get; init; } = KeyKind.Operator;
    /// <summary>A visitor's own OpenRouter key; null means the operator's key. Never logged, traced or serialised.</summary>
    [JsonIgnore]
    public string? VisitorApiKey { get; init; }
    public IUsageRecorder? Usage { get; init; }
    /// <summary>The cycle's bound on simultaneous calls; null means unbounded.</summary>
    public SemaphoreSlim? Concurrency { get; init; }

    public override string ToString() => $"session {SessionId}, {KeyKind} key";
}

/// <summary>How the answer's JSON shape is asked for, by what the model supports.</summary>
public enum ResponseFormatMode { JsonSchema, JsonObject, PromptOnly, Text }

/// <summary>One agent call as the agents build it; <see cref="ChatRequests.CompleteAsync"/> turns it into a chat call.</summary>
public sealed record LlmRequest
{
    public required string Model { get; init; }
    public required string SystemPrompt { get; init; }
    public required string UserPrompt { get; init; }
    public double Temperature { get; init; } = 0.7;
    public int MaxOutputTokens { get; init; } = 2048;
    public JsonSchemaSpec? Schema { get; init; }
    public ResponseFormatMode Format { get; init; } = ResponseFormatMode.Text;
    public CycleStep? Step { get; init; }
    public LlmCallContext Context { get; init; } = new();
}

/// <summary>
/// Tokens and USD of one HTTP call, as OpenRouter reported them. <see cref="CostReported"/> is false when
/// the final usage chunk never arrived (a cancelled or broken stream): the real cost is then unknown.
/// </summary>
public sealed record LlmUsage(string Model, CycleStep? Step, long InputTokens, long OutputTokens, decimal CostUsd, string? GenerationId,
    bool Succeeded, bool CostReported = true)
{
    /// <summary>Attempts of this call that OpenRouter answered 429, or 5xx, including those a retry then got past.</summary>
    public int RateLimitedAttempts { get; init; }
    public int ServerErrorAttempts { get; init; }
}

public sealed record LlmResponse(string Text, LlmUsage Usage, string? FinishReason);

/// <summary>Receives the usage of every call, including calls whose answer was then unusable.</summary>
public interface IUsageRecorder
{
    void Record(LlmUsage usage);
}
