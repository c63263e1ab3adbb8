namespace CoScientist.Core.Cost;

/// <summary>
/// OpenRouter's count of the operator key's spend today and this month (UTC), read at <paramref name="ReadAt"/>.
/// <paramref name="SettledMark"/> is what this process had settled just before asking: calls settled after it
/// may be missing from OpenRouter's figure.
/// </summary>
public sealed record ProviderUsage(decimal? Today, decimal? Month, DateTimeOffset ReadAt, decimal SettledMark);

/// <summary>
/// The two counts of the operator's spend the caps compare, calls in flight included in both at their
/// worst case: the ledger's, and OpenRouter's (null when there is none for the current period).
/// The larger one is in force.
/// </summary>
public sealed record SpendSources(decimal LedgerToday, decimal LedgerMonth, decimal? ProviderToday, decimal? ProviderMonth, DateTimeOffset? ProviderReadAt)
{
    public bool ProviderInForceToday => ProviderToday > LedgerToday;
    public bool ProviderInForceMonth => ProviderMonth > LedgerMonth;
}

/// <summary>
/// OpenRouter's figure as a floor under the ledger's. The ledger forgets on an ephemeral disk;
/// OpenRouter does not, and its figure also covers other apps spending the same key. A figure read
/// at T covers the calls settled before T; those settled since are added from this process's own
/// count, so the rule is: spent = max(ledger, provider at T + settled here since T), in-flight
/// reservations on top. A call settled while the figure was being read may be counted twice, never
/// missed. A figure applies only to the UTC day and month it was read in.
/// </summary>
public sealed partial class SpendGuard
{
    private ProviderUsage? _provider;
    private decimal _settledHere; // operator spend settled by this process; only grows

    /// <summary>What this process has settled on the operator key so far; take it just before asking OpenRouter.</summary>
    public decimal SettledMark { get { lock (_gate) return _settledHere; } }

    public void ApplyProviderUsage(ProviderUsage usage)
    {
        lock (_gate) _provider = usage;
        OnSpendChanged(null); // OpenRouter's figure (spend from elsewhere on the key) may cross an alert's threshold
    }

    public SpendSources Sources()
    {
        if (_shared is not null)
            return SharedSources();
        lock (_gate)
        {
            RollOver(_clock.GetUtcNow());
            var (today, month) = ProviderFigures(_day, _month);
            return new SpendSources(_daySpent + _dayHeld, _monthSpent + _monthHeld,
                today + _dayHeld, month + _monthHeld, _provider?.ReadAt);
        }
    }

    /// <summary>How far OpenRouter's figure is above the ledger's, for today and this month (zero when it is not). Under the lock, after RollOver.</summary>
    private (decimal Day, decimal Month) ProviderAboveLedger()
    {
        var (today, month) = ProviderFigures(_day, _month);
        return (Math.Max(0, (today ?? 0) - _daySpent), Math.Max(0, (month ?? 0) - _monthSpent));
    }

    private (decimal? Today, decimal? Month) ProviderFigures(DateOnly day, int month)
    {
        if (_provider is not { } p) return (null, null);
        var since = _settledHere - p.SettledMark;
        return (p.Today is { } d && DateOnly.FromDateTime(p.ReadAt.UtcDateTime) == day ? d + since : null,
                p.Month is { } m && MonthOf(p.ReadAt) == month ? m + since : null);
    }
}
