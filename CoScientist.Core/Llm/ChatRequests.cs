using System.Text.Json;
using Microsoft.Extensions.AI;

namespace CoScientist.Core.Llm;

/// <summary>
/// Turns an agent's <see cref="LlmRequest"/> into one chat call through the gateway's <see cref="IChatClient"/>:
/// a system and a user message, the standard <see cref="ChatOptions"/> (model, temperature, max output tokens,
/// response format), and the call's own facts riding along as an <see cref="LlmCall"/>.
/// </summary>
public static class ChatRequests
{
    public static async Task<LlmResponse> CompleteAsync(this IChatClient chat, LlmRequest request, CancellationToken cancellationToken)
    {
        var call = new LlmCall(request.Context, request.Step);
        var options = new ChatOptions
        {
            ModelId = request.Model,
            Temperature = (float)request.Temperature,
            MaxOutputTokens = request.MaxOutputTokens,
            ResponseFormat = Format(request),
            AdditionalProperties = new() { [LlmCall.Key] = call },
        };
        ChatMessage[] messages = [new(ChatRole.System, request.SystemPrompt), new(ChatRole.User, request.UserPrompt)];
        var response = await chat.GetResponseAsync(messages, options, cancellationToken);
        // Usage is recorded by the usage layer; an inner client without one (a test's) still yields a response to read.
        var usage = call.Usage ?? new LlmUsage(request.Model, request.Step, response.Usage?.InputTokenCount ?? 0,
            response.Usage?.OutputTokenCount ?? 0, 0m, response.ResponseId, Succeeded: true, CostReported: false);
        return new LlmResponse(response.Text, usage, response.FinishReason?.Value);
    }

    /// <summary>
    /// Our hand-built schemas, not ones generated from a .NET type: the agents read answers through mappers that tolerate
    /// what models get slightly wrong (and <see cref="JsonRecovery"/> repairs fenced or truncated JSON first), which the
    /// typed <c>GetResponseAsync&lt;T&gt;</c> with its strict deserialisation would turn into failed calls.
    /// </summary>
    private static ChatResponseFormat? Format(LlmRequest request) => request.Format switch
    {
        ResponseFormatMode.JsonSchema when request.Schema is { } schema =>
            ChatResponseFormat.ForJsonSchema(JsonSerializer.SerializeToElement(schema.Schema), schema.Name),
        ResponseFormatMode.JsonObject => ChatResponseFormat.Json,
        _ => null,
    };
}
