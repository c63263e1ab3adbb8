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
        if (model is null || model.Id != request.Model)
            throw new LlmException(LlmErrorKind.ModelNotAllowed, $"The model {request.Model} is not available{(context.KeyKind == KeyKind.Operator ? " on the shared key" : "")}.");
        var worst = WorstCase(model.Info, request);

        var reservation = await guard.ReserveAsync(new CallReservation(clock.GetUtcNow(), context.SessionId, context.ClientHash, request.Model,
            request.Step?.ToString(), context.KeyKind, worst), cancellationToken);
        var capture = new CapturingRecorder(context.Usage);
        try
        {
            var response = await inner.CompleteAsync(request with { Context = context with { Usage = capture } }, cancellationToken);
            guard.Settle(reservation, response.Usage, error: null, keepReservation: !response.Usage.CostReported);
            return response;
        }
        catch (Exception ex)
        {
            // OpenRouter bills nothing for a request it refused with an HTTP error. A call that broke or was
            // cancelled mid-answer may have been billed for tokens we never saw: without a reported cost it
            // stays counted at its worst case rather than risk undercounting.
            var refusedOutright = ex is LlmException { StatusCode: not null };
            var costKnown = capture.Last is { CostReported: true };
            guard.Settle(reservation, capture.Last, ex is LlmException llm ? llm.Kind.ToString() : ex is OperationCanceledException ? "Cancelled" : ex.GetType().Name,
                keepReservation: !refusedOutright && !costKnown);
            throw;
        }
    }

    public static decimal WorstCase(ModelInfo model, LlmRequest request)
    {
        var promptTokens = TokenEstimate.PromptUpperBound(request.SystemPrompt, request.UserPrompt);
        return promptTokens * (model.WorstPromptPrice ?? model.PromptPrice ?? 0m)
               + request.MaxOutputTokens * (model.WorstCompletionPrice ?? model.CompletionPrice ?? 0m)
               + (model.RequestPrice ?? 0m);
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
