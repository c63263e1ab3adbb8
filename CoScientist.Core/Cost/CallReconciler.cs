using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Logging;

namespace CoScientist.Core.Cost;

/// <summary>
/// Settles calls whose outcome was lost in transit (a reset, a cut stream, a timeout) and that are
/// therefore counted at their worst case: when OpenRouter gave the call a generation id, its real
/// cost is asked for a few times over the next minutes (GET /generation) and replaces the worst
/// case in the ledger and in the caps. Without an id, or if OpenRouter never answers, the worst
/// case stays: overcounting is the safe side of a spend cap.
/// </summary>
public sealed class CallReconciler(OpenRouterGenerationClient generations, SpendLedger ledger, SpendGuard guard, TimeProvider clock,
    ILogger<CallReconciler> logger) : IDisposable
{
    /// <summary>When to ask, after the call was lost: OpenRouter needs a few seconds to make a generation queryable.</summary>
    public static readonly TimeSpan[] Delays = [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10)];

    private readonly Lock _gate = new();
    private readonly HashSet<ITimer> _timers = [];
    private bool _disposed;

    /// <summary>Calls waiting for OpenRouter to confirm their cost.</summary>
    public int Pending { get { lock (_gate) return _timers.Count; } }

    public void Enqueue(SpendReservation reservation, string generationId, string model)
    {
        if (reservation.KeyKind != KeyKind.Operator)
            return; // a visitor's own key is not under the operator's caps; its worst case only shows on the admin page
        if (reservation.WorstCaseUsd <= 0)
            return; // a local model's call is counted at $0, its worst case: nothing to confirm, and a local server has no /generation
        Schedule(new Lost(reservation, generationId, model), 0);
    }

    private sealed record Lost(SpendReservation Reservation, string GenerationId, string Model);

    private void Schedule(Lost lost, int attempt)
    {
        lock (_gate)
        {
            if (_disposed) return;
            ITimer? timer = null;
            timer = clock.CreateTimer(_ => _ = TryAsync(lost, attempt, timer!), null, Delays[attempt], Timeout.InfiniteTimeSpan);
            _timers.Add(timer);
        }
    }

    private async Task TryAsync(Lost lost, int attempt, ITimer timer)
    {
        lock (_gate)
        {
            if (!_timers.Remove(timer)) return;
        }
        await timer.DisposeAsync();
        try
        {
            if (await generations.GetAsync(lost.GenerationId) is { } cost)
            {
                var confirmed = cost.TotalCostUsd;
                // A row the ledger never settled (its disk refused) still counts at its worst case there: so it must in the caps.
                if (ledger.Confirm(lost.Reservation.LedgerId, confirmed, cost.PromptTokens, cost.CompletionTokens))
                    guard.Reconcile(lost.Reservation, confirmed);
                logger.LogInformation("A lost call to {Model} was confirmed by OpenRouter at ${Cost} (it was counted at ${Worst})",
                    lost.Model, confirmed, lost.Reservation.WorstCaseUsd);
                return;
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Confirming a lost call's cost failed; it stays counted at its worst case");
            return;
        }
        if (attempt + 1 < Delays.Length)
            Schedule(lost, attempt + 1);
        else
            logger.LogInformation("OpenRouter never reported the cost of a lost call to {Model}; it stays counted at its worst case ${Worst}",
                lost.Model, lost.Reservation.WorstCaseUsd);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var timer in _timers) timer.Dispose();
            _timers.Clear();
        }
    }
}
