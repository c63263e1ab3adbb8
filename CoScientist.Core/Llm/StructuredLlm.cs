using System.Text.Json.Nodes;
using CoScientist.Core.Models;
using CoScientist.Core.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Llm;

/// <summary>The agent's reading of an answer was impossible: a field missing or of the wrong kind.</summary>
public sealed class LlmOutputException(string message) : Exception(message);

/// <summary>
/// Asks the gateway's <see cref="IChatClient"/> for JSON in the strongest form the model takes (see
/// <see cref="ResponseFormatFallback"/>; a form refused with a 400 is lowered and asked again at once), recovers fenced
/// or truncated answers, and asks once more when the answer still cannot be read or the stream broke. A connection lost
/// mid-call is retried with the same backoff as a 5xx, as a new call: the lost one settles on its own (it may have been charged).
/// Each agent supplies only its schema and mapper.
/// </summary>
public sealed class StructuredLlm(IChatClient chat, IModelCatalog catalog, ResponseFormatFallback formats, IOptions<OpenRouterOptions> options,
    TimeProvider clock, ILogger<StructuredLlm> logger, CallHealth health)
{
    private const int Attempts = 2;

    public async Task<T> CallAsync<T>(LlmRequest request, Func<JsonNode, T> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request.Schema);
        var info = (await catalog.GetAsync(cancellationToken)).Find(request.Model);
        var prepared = InFormat(request, formats.Choose(request.Model, info));

        async Task<LlmResponse> AskAsync()
        {
            while (true)
            {
                try
                {
                    return await chat.CompleteAsync(prepared, cancellationToken);
                }
                catch (LlmException ex) when (formats.Lower(request.Model, prepared.Format, ex) is { } lower)
                {
                    // Not one of the two attempts: the server said which form it will not take, not that the answer was bad.
                    prepared = InFormat(request, lower) with { UserPrompt = prepared.UserPrompt };
                }
            }
        }

        LlmException? last = null;
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            try
            {
                var response = await AskAsync();
                var node = JsonRecovery.TryParse(response.Text, out var repaired)
                    ?? throw ParseFailure(request, new LlmException(LlmErrorKind.InvalidOutput, "The model's answer was not JSON" + Truncated(response)));
                if (repaired)
                    logger.LogInformation("Recovered a damaged JSON answer for {Schema}", request.Schema.Name);
                try
                {
                    return read(node);
                }
                catch (Exception ex) when (ex is LlmOutputException or InvalidOperationException or FormatException)
                {
                    throw ParseFailure(request, new LlmException(LlmErrorKind.InvalidOutput, "The model's answer did not have the expected fields: " + ex.Message));
                }
            }
            catch (LlmException ex) when (ex.Kind is LlmErrorKind.ConnectionLost && attempt < Attempts)
            {
                last = ex;
                logger.LogInformation("Retrying {Schema} after a lost connection", request.Schema.Name);
                await Task.Delay(Backoff(), clock, cancellationToken);
            }
            catch (LlmException ex) when (ex.Kind is LlmErrorKind.InvalidOutput or LlmErrorKind.StreamFailed && attempt < Attempts)
            {
                last = ex;
                logger.LogInformation("Retrying {Schema} once: {Reason}", request.Schema.Name, ex.Message);
                prepared = prepared with
                {
                    UserPrompt = request.UserPrompt + "\n\nYour previous answer could not be used (" + ex.Message +
                                 "). Answer again with one complete JSON value only, no Markdown fence, and keep it short.",
                };
            }
        }
        throw last ?? new LlmException(LlmErrorKind.InvalidOutput, "The model's answer could not be read.");
    }

    /// <summary>Counted here, where "unusable" is decided: the layers below only see a successful HTTP call.</summary>
    private LlmException ParseFailure(LlmRequest request, LlmException failure)
    {
        health.ParseFailure(request.Model, request.Step);
        return failure;
    }

    private TimeSpan Backoff()
    {
        var o = options.Value;
        var jittered = o.InitialBackoffMs * (0.8 + Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromMilliseconds(Math.Min(jittered, o.MaxBackoffMs));
    }

    private static LlmRequest InFormat(LlmRequest request, ResponseFormatMode format) => request with
    {
        Format = format,
        SystemPrompt = request.SystemPrompt + "\n\n" + JsonInstructions(request.Schema!, format),
    };

    private static string JsonInstructions(JsonSchemaSpec schema, ResponseFormatMode format) => format == ResponseFormatMode.JsonSchema
        ? "Answer with JSON that follows the response schema."
        : "Answer with a single JSON value and nothing else, following this JSON schema:\n" + schema.Schema.ToJsonString();

    private static string Truncated(LlmResponse response) =>
        response.FinishReason is "Length" or "length" ? " (it was cut off at the token limit)." : ".";
}
