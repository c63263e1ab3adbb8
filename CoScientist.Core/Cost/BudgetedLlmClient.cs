using CoScientist.Core.Llm;
using CoScientist.Core.Models;
using CoScientist.Core.Storage;

namespace CoScientist.Core.Cost;

/// <summary>
/// The budget and ledger layer: reserves each call's worst-case cost (prompt upper bound plus
/// max_tokens, at the model's dearest prices) with the <see cref="SpendGuard"/> before the call,
/// and settles it with OpenRouter's actual usage.cost afterwards. A call gives its reservation back
/// only when we know OpenRouter never accepted it (an HTTP error, or it was never reached); a call
/// lost after it may have been sent (reset, cut stream, timeout, cancelled mid-answer) keeps its
/// worst case until OpenRouter confirms its cost through the <see cref="CallReconciler"/>.
/// </summary>
public sealed class BudgetedLlmClient(ILlmClient inner, SpendGuard guard, ModelPolicy policy, TimeProvider clock,
    CallReconciler? reconciler = null) : ILlmClient
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
        LlmResponse response;
        try
        {
            response = await inner.CompleteAsync(request with { Context = context with { Usage = capture } }, cancellationToken);
        }
        catch (Exception ex)
        {
            // OpenRouter bills nothing for a request it refused with an HTTP error or never received. A call
            // that broke or was cancelled after it may have been sent may have been billed for tokens we never
            // saw: without a reported cost it stays counted at its worst case rather than risk undercounting.
            var neverCharged = ex is LlmException { NeverCharged: true };
            var costKnown = capture.Last is { CostReported: true };
            var keep = !neverCharged && !costKnown;
            guard.Settle(reservation, capture.Last, ex is LlmException llm ? llm.Kind.ToString() : ex is OperationCanceledException ? "Cancelled" : ex.GetType().Name,
                keepReservation: keep);
            if (keep && capture.Last?.GenerationId is { Length: > 0 } generationId)
                reconciler?.Enqueue(reservation, generationId, request.Model);
            throw;
        }
        // Outside the try: the answer is paid for, so a failing settlement must neither discard it nor settle the call twice.
        guard.Settle(reservation, response.Usage, error: null, keepReservation: !response.Usage.CostReported);
        if (!response.Usage.CostReported && response.Usage.GenerationId is { Length: > 0 } answeredId)
            reconciler?.Enqueue(reservation, answeredId, request.Model);
        return response;
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
