using CoScientist.Core.Llm;

namespace CoScientist.Core.Cost;

/// <summary>What the spend alerts listen to: operator spend settled, or a call refused because a spend cap is used up.</summary>
public sealed partial class SpendGuard
{
    /// <summary>
    /// Raised after an operator-key call settles (null) and when a spend cap refuses a call (its kind). Raised on the
    /// caller's thread, a refusal under the guard's lock: a handler must only take note and return, never do the work there.
    /// </summary>
    public event Action<LimitKind?>? SpendChanged;

    private void OnSpendChanged(LimitKind? refusedBy) => SpendChanged?.Invoke(refusedBy);

    /// <summary>
    /// The exception for a call a cap refused, telling the alerts when it was a spend cap: the cap is then reached for
    /// practical purposes even though the reservations keep what is spent a little below it.
    /// </summary>
    private LlmException RefusedByCap(LimitBlock? block, LlmException? exception)
    {
        if (block?.Kind is LimitKind.DailySpend or LimitKind.MonthlySpend)
            OnSpendChanged(block.Kind);
        return exception ?? Refused(block);
    }
}
