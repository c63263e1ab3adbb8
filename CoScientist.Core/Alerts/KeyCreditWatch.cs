using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Alerts;

/// <summary>The operator key's own credit as OpenRouter's GET /key told it: its limit (null: none set), what remains of it, at what time.</summary>
public sealed record KeyCredit(decimal? Limit, decimal? Remaining, decimal? Usage, bool IsFreeTier, DateTimeOffset CheckedAt);

/// <summary>What the admin page shows: the last answer, the last failure (null once a read succeeds), and the alert threshold.</summary>
public sealed record KeyCreditStatus(bool Polled, KeyCredit? Last, ProviderReadFailure? Failure, decimal LowUsd);

/// <summary>
/// Watches the operator key's remaining credit, read by <see cref="ProviderUsageReconciler"/> on its timer (one GET /key
/// serves the caps and this), and alerts once when it falls below <c>alerts:key_low_usd</c> (default: the daily cap).
/// The alert is a row in the ledger, claimed by the first instance to see the crossing and deleted when the credit is
/// topped up again, which re-arms it. A key without a limit has no remaining figure, so it never alerts.
/// </summary>
public sealed class KeyCreditWatch(SpendLedger ledger, AlertSender sender, IOptionsMonitor<AlertOptions> alerts, IOptionsMonitor<CostControlOptions> costs,
    IOptions<OpenRouterOptions> openRouter, ILogger<KeyCreditWatch> logger)
{
    public const string Period = "key";
    public const string AlertKey = "key:low";

    private KeyCredit? _last;
    private ProviderReadFailure? _failure;
    private bool? _low; // as last written to the ledger; null: not known since start

    public decimal LowUsd => alerts.CurrentValue.KeyLowUsd is { } usd ? (decimal)usd : costs.CurrentValue.DailyCap;

    public KeyCreditStatus Status => new(openRouter.Value.ApiKey is { Length: > 0 }, _last, _failure, LowUsd);

    public void Observe(KeyRead read, DateTimeOffset at)
    {
        if (read.Info is not { } info)
        {
            _failure = new ProviderReadFailure(at, read.Error ?? "no answer");
            return;
        }
        var credit = new KeyCredit(info.Limit, info.LimitRemaining, info.Usage, info.IsFreeTier, at);
        (_last, _failure) = (credit, null);
        try
        {
            var low = credit.Remaining is { } remaining && remaining < LowUsd;
            if (low && _low != true)
            {
                var message = $"The shared OpenRouter key is running out of credit: ${credit.Remaining:0.00} of its ${credit.Limit:0.00} limit remains " +
                    $"(alert below ${LowUsd:0.00}). Top it up before visitors' calls are refused with 402.";
                if (ledger.ClaimAlert(new AlertRecord(AlertKey, Period, at, message)))
                    sender.Raise(message);
            }
            else if (!low && _low != false && ledger.ClearAlert(AlertKey))
                logger.LogInformation("The shared OpenRouter key's credit is back above ${Threshold}; its low-credit alert is re-armed", LowUsd);
            _low = low;
        }
        catch (Exception ex) when (SpendLedger.IsStorageFailure(ex))
        {
            logger.LogError("The key's low-credit alert could not be recorded ({Error}); it is tried again at the next check", ex.Message);
        }
    }
}
