using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Alerts;

/// <summary>
/// The operator key's own credit as OpenRouter's GET /key told it: its limit (null: none set), what remains of it, at what
/// time; and, when a management key is set, the account's balance as GET /credits told it (null: not read).
/// </summary>
public sealed record KeyCredit(decimal? Limit, decimal? Remaining, decimal? Usage, bool IsFreeTier, DateTimeOffset CheckedAt)
{
    public AccountCredit? Account { get; init; }
}

/// <summary>
/// What the admin page shows: the last answer, the last failure (null once a read succeeds), the alert threshold, and
/// whether the account's balance is watched (a management key is set) and why its last read failed.
/// </summary>
public sealed record KeyCreditStatus(bool Polled, KeyCredit? Last, ProviderReadFailure? Failure, decimal LowUsd)
{
    public bool WatchesAccount { get; init; }
    public ProviderReadFailure? AccountFailure { get; init; }
}

/// <summary>
/// Watches the operator key's remaining credit, read by <see cref="ProviderUsageReconciler"/> on its timer (one GET /key
/// serves the caps and this), and alerts once when it falls below <c>alerts:key_low_usd</c> (default: the daily cap).
/// The alert is a row in the ledger, claimed by the first instance to see the crossing and deleted when the credit is
/// topped up again, which re-arms it. With a management key (OPENROUTER_MANAGEMENT_KEY) the account's balance is read too,
/// and whichever runs out first counts: a key without a limit spends the account's credit, so only the balance can warn
/// of it. Without a management key, a key without a limit has no remaining figure, and never alerts.
/// </summary>
public sealed class KeyCreditWatch(SpendLedger ledger, AlertSender sender, IOptionsMonitor<AlertOptions> alerts, IOptionsMonitor<CostControlOptions> costs,
    IOptions<OpenRouterOptions> openRouter, ILogger<KeyCreditWatch> logger)
{
    public const string Period = "key";
    public const string AlertKey = "key:low";

    private KeyCredit? _last;
    private ProviderReadFailure? _failure;
    private ProviderReadFailure? _accountFailure;
    private bool? _low; // as last written to the ledger; null: not known since start

    public decimal LowUsd => alerts.CurrentValue.KeyLowUsd is { } usd ? (decimal)usd : costs.CurrentValue.DailyCap;

    public KeyCreditStatus Status => new(openRouter.Value.ApiKey is { Length: > 0 }, _last, _failure, LowUsd)
    {
        WatchesAccount = openRouter.Value.ManagementKey is { Length: > 0 },
        AccountFailure = _accountFailure,
    };

    /// <param name="account">The account's GET /credits answer; null when no management key is set.</param>
    public void Observe(KeyRead read, CreditsRead? account, DateTimeOffset at)
    {
        _accountFailure = account is { Credit: null } failed ? new ProviderReadFailure(at, failed.Error ?? "no answer") : null;
        if (read.Info is not { } info)
        {
            _failure = new ProviderReadFailure(at, read.Error ?? "no answer");
            return;
        }
        // A failed balance read keeps the last balance known, as a failed key read keeps the last key figures.
        var credit = new KeyCredit(info.Limit, info.LimitRemaining, info.Usage, info.IsFreeTier, at)
        {
            Account = account is null ? null : account.Credit ?? _last?.Account,
        };
        (_last, _failure) = (credit, null);
        try
        {
            var shortage = Shortage(credit);
            var low = shortage is not null;
            if (low && _low != true)
            {
                var message = $"{shortage} (alert below ${LowUsd:0.00}). Top it up before visitors' calls are refused with 402.";
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

    /// <summary>What runs out first, in words, when it is below the threshold: the key's limit or the account's balance.</summary>
    private string? Shortage(KeyCredit credit)
    {
        var keyLow = credit is { Remaining: { } left } && left < LowUsd;
        var accountLow = credit.Account is { } account && account.Remaining < LowUsd;
        if (accountLow && (!keyLow || credit.Account!.Remaining <= credit.Remaining))
            return $"The OpenRouter account behind the shared key is running out of credit: ${credit.Account!.Remaining:0.00} of the " +
                   $"${credit.Account.TotalCredits:0.00} bought remains";
        return keyLow ? $"The shared OpenRouter key is running out of credit: ${credit.Remaining:0.00} of its ${credit.Limit:0.00} limit remains" : null;
    }
}
