using CoScientist.Core.Llm;
using CoScientist.Core.Models;
using CoScientist.Core.Storage;
using Microsoft.Extensions.AI;

namespace CoScientist.Core.Cost;

/// <summary>
/// The model policy, budget and ledger layer: refuses a model the caller's policy does not allow, reserves each call's
/// worst-case cost (prompt upper bound plus max_tokens, at the model's dearest prices) with the <see cref="SpendGuard"/>
/// before the call, and settles it with OpenRouter's actual usage.cost afterwards. A call gives its reservation back
/// only when we know OpenRouter never accepted it (an HTTP error, or it was never reached); a call lost after it may
/// have been sent (reset, cut stream, timeout, cancelled mid-answer) keeps its worst case until OpenRouter confirms its
/// cost through the <see cref="CallReconciler"/>. A local model's usage comes reported at $0, so it has nothing to confirm.
/// </summary>
public sealed class BudgetChatClient(IChatClient innerClient, SpendGuard guard, ModelPolicy policy, TimeProvider clock,
    CallReconciler? reconciler = null) : WholeAnswerChatClient(innerClient)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var call = LlmCall.Of(options);
        var context = call.Context;
        var requested = options!.ModelId ?? "";
        // The model policy is enforced once per call, here, where the resolved model's prices are needed anyway;
        // CycleAdmission asks the same policy before a cycle starts, to say so in words.
        var model = await policy.ResolveAsync(requested, context.KeyKind, cancellationToken);
        if (model is null || model.Id != requested)
            throw new LlmException(LlmErrorKind.ModelNotAllowed, $"The model {requested} is not available{(context.KeyKind == KeyKind.Operator ? " on the shared key" : "")}.");
        call.Model = model.Info;
        var prompts = messages.Select(m => m.Text).ToArray();
        var worst = WorstCase(model.Info, prompts, options.MaxOutputTokens ?? 0);

        var reservation = await guard.ReserveAsync(new CallReservation(clock.GetUtcNow(), context.SessionId, context.ClientHash, requested,
            call.Step?.ToString(), context.KeyKind, worst), cancellationToken);
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken);
        }
        catch (Exception ex)
        {
            // OpenRouter bills nothing for a request it refused with an HTTP error or never received. A call
            // that broke or was cancelled after it may have been sent may have been billed for tokens we never
            // saw: without a reported cost it stays counted at its worst case rather than risk undercounting.
            var neverCharged = ex is LlmException { NeverCharged: true };
            var costKnown = call.Usage is { CostReported: true };
            var keep = !neverCharged && !costKnown;
            await guard.SettleAsync(reservation, call.Usage, ex is LlmException llm ? llm.Kind.ToString() : ex is OperationCanceledException ? "Cancelled" : ex.GetType().Name,
                keepReservation: keep);
            if (keep && call.Usage?.GenerationId is { Length: > 0 } generationId)
                reconciler?.Enqueue(reservation, generationId, requested);
            throw;
        }
        // Outside the try: the answer is paid for, so a failing settlement must neither discard it nor settle the call twice.
        var usage = call.Usage;
        var unconfirmed = usage is not { CostReported: true };
        await guard.SettleAsync(reservation, usage, error: null, keepReservation: unconfirmed);
        if (unconfirmed && usage?.GenerationId is { Length: > 0 } answeredId)
            reconciler?.Enqueue(reservation, answeredId, requested);
        return response;
    }

    public static decimal WorstCase(ModelInfo model, IReadOnlyList<string> prompts, int maxOutputTokens)
    {
        var promptTokens = TokenEstimate.PromptUpperBound([.. prompts]);
        return promptTokens * (model.WorstPromptPrice ?? model.PromptPrice ?? 0m)
               + maxOutputTokens * (model.WorstCompletionPrice ?? model.CompletionPrice ?? 0m)
               + (model.RequestPrice ?? 0m);
    }
}
