using System.Globalization;
using CoScientist.Core.Cost;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Alerts;

/// <summary>
/// Alerts at 50%, 80% and 100% of the daily and the monthly cap on the operator's key, each once per UTC day or month.
/// A settlement only signals; the check runs here, in the background, so it adds nothing to a call. Each alert is claimed
/// by a row in the ledger before it is sent: a restart, or another instance on the same ledger, finds the row and stays
/// quiet. "Spent" is settled spend with OpenRouter's figure as a floor: calls in flight count at their worst case for
/// the caps, but an alert saying "80% spent" must not count money that is only held. A refusal by the cap raises the
/// 100% alert too (reservations keep spend just under the cap, so it may never equal it), saying what was refused.
/// </summary>
public sealed class SpendAlerts : BackgroundService
{
    public static readonly int[] Thresholds = [50, 80, 100];

    private readonly SpendGuard _guard;
    private readonly SpendLedger _ledger;
    private readonly AlertSender _sender;
    private readonly IOptionsMonitor<CostControlOptions> _costs;
    private readonly TimeProvider _clock;
    private readonly ILogger<SpendAlerts> _logger;
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly HashSet<string> _claimed = []; // known claimed (here or elsewhere): no ledger round trip for them
    private readonly Lock _gate = new();
    private volatile bool _dailyRefused, _monthlyRefused;
    private int _checks;

    /// <summary>Checks done so far; tests wait on it to know the background loop has made its first one.</summary>
    public int Checks => Volatile.Read(ref _checks);

    public SpendAlerts(SpendGuard guard, SpendLedger ledger, AlertSender sender, IOptionsMonitor<CostControlOptions> costs, TimeProvider clock,
        ILogger<SpendAlerts> logger)
    {
        (_guard, _ledger, _sender, _costs, _clock, _logger) = (guard, ledger, sender, costs, clock, logger);
        guard.SpendChanged += OnSpendChanged;
    }

    private void OnSpendChanged(LimitKind? refusedBy)
    {
        if (refusedBy == LimitKind.DailySpend) _dailyRefused = true;
        if (refusedBy == LimitKind.MonthlySpend) _monthlyRefused = true;
        if (_signal.CurrentCount > 0) return; // a check is already due; it will see this spend too (the common case: no throw)
        try { _signal.Release(); }
        catch (SemaphoreFullException) { } // another settlement signalled in between
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                Check(); // at start too: spend from before a restart, or OpenRouter's figure, may already be past a threshold
                await _signal.WaitAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Raises what the spend now crosses and was not raised yet this period. Never throws.</summary>
    public void Check()
    {
        // A refusal is forgotten only once its check is done: a failed check keeps it for the next one.
        var (dailyRefused, monthlyRefused) = (_dailyRefused, _monthlyRefused);
        _dailyRefused = _monthlyRefused = false;
        try
        {
            lock (_gate)
            {
                var now = _clock.GetUtcNow();
                var (today, month) = _guard.Totals(inFlight: false);
                var costs = _costs.CurrentValue;
                CheckCap("daily", DayPeriod(now), today, costs.DailyCap, dailyRefused, now);
                dailyRefused = false;
                CheckCap("monthly", MonthPeriod(now), month, costs.MonthlyCap, monthlyRefused, now);
                monthlyRefused = false;
            }
            Interlocked.Increment(ref _checks);
        }
        catch (Exception ex) when (SpendLedger.IsStorageFailure(ex) || ex is Llm.LlmException)
        {
            if (dailyRefused) _dailyRefused = true;
            if (monthlyRefused) _monthlyRefused = true;
            // The ledger cannot be read or written: the caps refuse every call anyway, and the next settlement checks again.
            _logger.LogError("Spend alerts could not be checked ({Error}); they are checked again after the next call", ex.Message);
        }
    }

    private void CheckCap(string cap, string period, decimal spent, decimal limit, bool refused, DateTimeOffset now)
    {
        _claimed.RemoveWhere(k => k.StartsWith($"spend:{cap}:", StringComparison.Ordinal) && !k.StartsWith($"spend:{cap}:{period}:", StringComparison.Ordinal));
        if (limit <= 0) return;
        // Only the highest threshold reached is sent (a jump from 0 to 85% is one alert, not two), and nothing below one
        // already claimed here or by another instance: "50%" never follows "80%". Each is sent as soon as it is claimed,
        // so a claim that fails later cannot swallow one made before it.
        for (var i = Thresholds.Length - 1; i >= 0; i--)
        {
            var threshold = Thresholds[i];
            var byRefusal = threshold == 100 && refused && spent < limit;
            if (spent < limit * threshold / 100m && !byRefusal) continue;
            var key = $"spend:{cap}:{period}:{threshold}";
            if (_claimed.Contains(key)) return;
            var message = Message(cap, threshold, spent, limit, period, byRefusal);
            var mine = _ledger.ClaimAlert(new AlertRecord(key, period, now, message));
            _claimed.Add(key);
            if (mine) _sender.Raise(message);
            return;
        }
    }

    internal static string Message(string cap, int threshold, decimal spent, decimal limit, string period, bool byRefusal = false) =>
        byRefusal
            ? $"The {cap} spending cap on the shared OpenRouter key refused a call ({period} UTC): ${spent:0.00} of ${limit:0.00} spent, and the calls in flight plus that one's worst case would pass the cap; operator-key calls that do not fit are refused until it resets."
            : threshold == 100
                ? $"The {cap} spending cap on the shared OpenRouter key is reached ({period} UTC): ${spent:0.00} of ${limit:0.00} spent; operator-key calls are refused until it resets."
                : $"The {cap} spending cap on the shared OpenRouter key is {threshold}% used ({period} UTC): ${spent:0.00} of ${limit:0.00} spent.";

    public static string DayPeriod(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    public static string MonthPeriod(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    /// <summary>The alerts in force now: the highest threshold reached today and this month, and a low key credit.</summary>
    public IReadOnlyList<AlertRecord> Active()
    {
        var now = _clock.GetUtcNow();
        var rows = _ledger.Alerts(DayPeriod(now), MonthPeriod(now), KeyCreditWatch.Period);
        return rows.GroupBy(a => a.Key[..a.Key.LastIndexOf(':')])
            .Select(g => g.MaxBy(a => a.Key.StartsWith("spend:", StringComparison.Ordinal) ? int.Parse(a.Key[(a.Key.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture) : 0)!)
            .OrderBy(a => a.RaisedAt).ToList();
    }

    public override void Dispose()
    {
        _guard.SpendChanged -= OnSpendChanged;
        base.Dispose();
    }
}
