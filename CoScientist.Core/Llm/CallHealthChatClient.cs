using CoScientist.Core.Telemetry;
using Microsoft.Extensions.AI;

namespace CoScientist.Core.Llm;

/// <summary>
/// The timing layer, just outside the provider's: how long each call took (its retries and backoff included, but not
/// the wait for the cycle's parallel bound or the budget's reservation, which are ours, not the provider's), how it
/// ended, and which 429s and 5xx its attempts met. Model and step come from the call, so nothing per call is kept here.
/// </summary>
public sealed class CallHealthChatClient(IChatClient innerClient, CallHealth health, TimeProvider clock) : WholeAnswerChatClient(innerClient)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var call = LlmCall.Of(options);
        var started = clock.GetTimestamp();
        try
        {
            var response = await base.GetResponseAsync(messages, options, cancellationToken);
            Record(options!.ModelId, call, started, Outcomes.Ok);
            return response;
        }
        catch (Exception ex)
        {
            var outcome = ex switch
            {
                OperationCanceledException when cancellationToken.IsCancellationRequested => Outcomes.Cancelled,
                LlmException llm => llm.Kind.ToString(),
                _ => ex.GetType().Name,
            };
            Record(options?.ModelId, call, started, outcome);
            throw;
        }
    }

    private void Record(string? model, LlmCall call, long started, string outcome) =>
        health.Call(model ?? "", call.Step, clock.GetElapsedTime(started), outcome,
            call.Usage?.RateLimitedAttempts ?? 0, call.Usage?.ServerErrorAttempts ?? 0);
}
