using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using ChatTokenUsage = OpenAI.Chat.ChatTokenUsage;
using StreamingChatCompletionUpdate = OpenAI.Chat.StreamingChatCompletionUpdate;

namespace CoScientist.Core.Llm;

/// <summary>
/// Reads the provider's stream into one answer and records what the call used: tokens, and OpenRouter's usage.cost,
/// which only the raw SDK chunk carries (<see cref="ChatResponseUpdate.RawRepresentation"/>). Usage is recorded even
/// when the call then fails, so a broken call still settles with what it reported. A local model has no cost to
/// report: it is $0 as reported, not a missing figure.
/// </summary>
public sealed class UsageCaptureChatClient(IChatClient innerClient, ILogger<UsageCaptureChatClient> logger) : WholeAnswerChatClient(innerClient)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var call = LlmCall.Of(options);
        var model = options!.ModelId ?? "";
        var text = new StringBuilder();
        ChatFinishReason? finishReason = null;
        string? generationId = null, answeredBy = null;
        long inputTokens = 0, outputTokens = 0;
        decimal cost = 0;
        var sawCost = false;
        try
        {
            // The inner client itself: this class's own stream is its whole answer.
            await foreach (var update in InnerClient.GetStreamingResponseAsync(messages, options, cancellationToken))
            {
                generationId ??= update.ResponseId;
                answeredBy ??= update.ModelId;
                text.Append(update.Text);
                if (update.FinishReason is { } reason)
                    finishReason = reason;
                if (update.RawRepresentation is StreamingChatCompletionUpdate raw && StreamError(raw) is { } error)
                    throw new LlmException(LlmErrorKind.StreamFailed, $"The model provider failed mid-answer: {error}");
                foreach (var usage in update.Contents.OfType<UsageContent>())
                {
                    inputTokens = usage.Details.InputTokenCount ?? 0;
                    outputTokens = usage.Details.OutputTokenCount ?? 0;
                    // A usage chunk without a readable cost is no reported cost: the call keeps its worst case.
                    (cost, sawCost) = ReadCost(usage.RawRepresentation as ChatTokenUsage) is { } read ? (read, true) : (0m, false);
                }
            }
        }
        catch (Exception ex) when (ex is not LlmException { Kind: LlmErrorKind.NotConfigured }) // no key: no call was made
        {
            Record(call, model, inputTokens, outputTokens, cost, generationId, succeeded: false, sawCost);
            throw;
        }

        if (!sawCost && !call.IsLocal)
            logger.LogWarning("OpenRouter sent no cost for model {Model}; the call counts at its worst case until its cost is confirmed", model);
        Record(call, model, inputTokens, outputTokens, cost, generationId, succeeded: true, sawCost);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()))
        {
            ResponseId = generationId,
            ModelId = answeredBy ?? model,
            FinishReason = finishReason,
            Usage = new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = outputTokens, TotalTokenCount = inputTokens + outputTokens },
        };
    }

    private static void Record(LlmCall call, string model, long input, long output, decimal cost, string? id, bool succeeded, bool costReported)
    {
        var tries = call.Attempts;
        call.Record(new LlmUsage(model, call.Step, input, output, cost, id, succeeded, costReported || call.IsLocal)
        {
            RateLimitedAttempts = tries?.RateLimited ?? 0,
            ServerErrorAttempts = tries?.ServerErrors ?? 0,
        });
    }

    private static decimal? ReadCost(ChatTokenUsage? usage)
    {
        try
        {
            return usage is not null && usage.Patch.Contains("$.cost"u8) ? usage.Patch.GetDecimal("$.cost"u8) : null;
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or JsonException)
        {
            return null;
        }
    }

    private static string? StreamError(StreamingChatCompletionUpdate update)
    {
        if (!update.Patch.Contains("$.error"u8))
            return null;
        try
        {
            using var doc = JsonDocument.Parse(update.Patch.GetJson("$.error"u8));
            return doc.RootElement.TryGetProperty("message", out var message) ? message.GetString() : doc.RootElement.ToString();
        }
        catch (JsonException)
        {
            return "unreadable error";
        }
    }
}
