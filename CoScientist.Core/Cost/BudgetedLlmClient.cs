using CoScientist.Core.Llm;
using CoScientist.Core.Models;
using CoScientist.Core.Storage;

namespace CoScientist.Core.Cost;

/// <summary>
/// The budget and ledger layer: reserves each call's worst-case cost (prompt upper bound plus
/// max_tokens, at the model's dearest prices) with the <see cref="SpendGuard"/> before the call,
/// and settles it with OpenRouter's actual usage.cost afterwards; a failed call gives its
/// reservation back, keeping whatever it did cost; a call cancelled mid-way keeps its worst case.
/// </summary>
public sealed class BudgetedLlmClient(ILlmClient inner, SpendGuard guard, ModelPolicy policy, TimeProvider clock) : ILlmClient
{
    public async Task<LlmResponse> CompleteAsync(LlmRequest request, CancellationToken cancellationToken)
    {
        var context = request.Context;
        var model = await policy.ResolveAsync(request.Model, context.KeyKind, cancellationToken);
        var worst = model is null ? 0m : WorstCase(model.Info, request);
        if (model is null && context.KeyKind == KeyKind.Operator)
            throw new LlmException(LlmErrorKind.ModelNotAllowed, $"The model {request.Model} is not available on the shared key.");

        var reservation = await guard.ReserveAsync(new CallReservation(clock.GetUtcNow(), context.SessionId, context.ClientHash, request.Model,
            request.Step?.ToString(), context.KeyKind, worst), cancellationToken);
        var capture = new CapturingRecorder(context.Usage);
        try
        {
            var response = await inner.CompleteAsync(request with { Context = context with { Usage = capture } }, cancellationToken);
            guard.Settle(reservation, response.Usage, error: null);
            return response;
        }
        catch (OperationCanceledException) when (capture.Last is null)
        {
            // Cancelled mid-call: the provider may have generated (and billed) tokens we never saw,
            // so the call stays counted at its worst case rather than risk undercounting.
            guard.Settle(reservation, capture.Last, "Cancelled", keepReservation: true);
            throw;
        }
        catch (Exception ex)
        {
            guard.Settle(reservation, capture.Last, ex is LlmException llm ? llm.Kind.ToString() : ex.GetType().Name);
            throw;
        }
    }

    public static decimal WorstCase(ModelInfo model, LlmRequest request)
    {
        var promptTokens = TokenEstimate.PromptUpperBound(request.SystemPrompt, request.UserPrompt);
        return promptTokens * (model.WorstPromptPrice ?? model.PromptPrice ?? 0m)
               + request.MaxOutputTokens * (model.WorstCompletionPrice ?? model.CompletionPrice ?? 0m);
    }

    /// <summary>Passes usage on and remembers the last one, so a failed call's cost is still settled.</summary>
    private sealed class CapturingRecorder(IUsageRecorder? next) : IUsageRecorder
    {
        public LlmUsage? Last { get; private set; }

        public void Record(LlmUsage usage)
        {
            Last = usage;
            next?.Record(usage);
        }
    }
}
