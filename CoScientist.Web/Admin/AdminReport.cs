using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Models;
using CoScientist.Core.Storage;
using CoScientist.Web.Session;
using Microsoft.Extensions.Options;

namespace CoScientist.Web.Admin;

public sealed record AdminReport(
    decimal SpendToday, decimal DailyCap, decimal SpendMonth, decimal MonthlyCap, bool Paused,
    IReadOnlyList<ModelSpend> ByModel, IReadOnlyList<HourSpend> ByHour, IReadOnlyList<SessionSummary> ActiveSessions,
    IReadOnlyList<SessionUsage> RecentSessions, IReadOnlyList<ErrorCount> Errors, EstimateAccuracy Accuracy,
    IReadOnlyList<TopicCount> Topics, IReadOnlyList<KeyKindUsage> ByKeyKind, IReadOnlyList<ModelSpend> VisitorByModel,
    int RunningCycles, IReadOnlyList<string> Warnings, string Environment, string LedgerPath, SpendSources Sources,
    ResearchStorageReport? Research)
{
    /// <summary>The literature sources' lookups since start (free, but they count against the sources' patience).</summary>
    public IReadOnlyList<CoScientist.Core.Literature.LiteratureSourceStats> Literature { get; init; } = [];

    /// <summary>The LLM judge's verdicts since start and how many went to the hypothesis it was shown first.</summary>
    public JudgePositionBias JudgeBias { get; init; } = new(0, 0);

    public CallHealthReport CallHealth { get; init; } = CallHealthReport.Empty;
    public AlertsReport Alerts { get; init; } = AlertsReport.None;
}

/// <summary>An unbiased judge, shown the contenders in random order, gives about half its verdicts to the one shown first.</summary>
public sealed record JudgePositionBias(long Verdicts, long FirstWins)
{
    public double? FirstWinShare => Verdicts > 0 ? (double)FirstWins / Verdicts : null;
}

/// <summary>
/// Saved research as the operator sees it: the store's counts, the retention rule and its last sweep, and the
/// research that may be pinned as an example (shared, or already pinned). Null in the report when the store cannot be read.
/// </summary>
public sealed record ResearchStorageReport(ResearchStoreStats Stats, int RetentionDays, RetentionSweep? LastSweep,
    IReadOnlyList<ResearchRecord> Shareable, string Path);

/// <summary>Gathers what the operator watches: spend against the caps, where it went, and what needs attention.</summary>
public sealed class AdminDashboard(SpendGuard guard, SpendLedger ledger, SessionRegistry sessions, ClientQuotas quotas, ModelPolicy policy,
    ProviderUsageReconciler providerUsage, IOptionsMonitor<CostControlOptions> costs, IOptions<StorageOptions> storage, DeploymentEnvironment environment, TimeProvider clock,
    IResearchStore research, ResearchRetention retention, CoScientist.Core.Literature.LiteratureStats literature,
    CoScientist.Core.Agents.Ranking.JudgePositionStats judge, CallHealthDashboard callHealth, AlertsReporter alerts)
{
    /// <summary>Shared research listed for pinning; the newest are the ones an operator looks for.</summary>
    public const int SharedShown = 50;

    public async Task<AdminReport> BuildAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var month = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var (spendToday, spendMonth) = guard.Totals();
        var offer = await policy.OfferAsync(KeyKind.Operator, cancellationToken);
        var warnings = new List<string>();
        if (offer.DroppedAllowListed.Count > 0)
            warnings.Add($"Allow-listed models missing from the OpenRouter catalogue (not offered): {string.Join(", ", offer.DroppedAllowListed)}.");
        if (offer.LocalNotice is { } local)
            warnings.Add(local);
        if (offer.CatalogProblem is { } problem)
            warnings.Add(problem);
        if (providerUsage.LastFailure is { } failed)
            warnings.Add($"OpenRouter's count of the shared key's spend could not be read at {failed.At.UtcDateTime:HH:mm} UTC ({failed.Reason}); the last figure read, or the ledger's, stays in force.");
        if (Hosting.StorageCheck.Warning(storage.Value.DataDir, environment.IsProduction) is { } storageWarning)
            warnings.Add(storageWarning);
        var options = costs.CurrentValue;
        var preferred = string.IsNullOrWhiteSpace(options.DefaultModel) ? null : options.DefaultModel;
        if (preferred is not null && preferred != offer.DefaultModel)
            warnings.Add($"The configured default model {preferred} is not available; {offer.DefaultModel} is used instead.");
        var researchStorage = await ResearchStorageAsync(warnings);
        var (verdicts, firstWins) = judge.Snapshot();
        return new AdminReport(spendToday, options.DailyCap, spendMonth, options.MonthlyCap, guard.Paused,
            ledger.SpendByModel(month), ledger.SpendByHour(now.AddHours(-24)), sessions.Active(), ledger.Sessions(today),
            ledger.Errors(today), ledger.Accuracy(month), ledger.TopTopics(month), ledger.UsageByKeyKind(month),
            ledger.SpendByModel(month, KeyKind.Visitor), quotas.RunningCycles, warnings, environment.Name + " (" + environment.Reason + ")",
            ledger.Path, guard.Sources(), researchStorage)
        {
            Literature = literature.Snapshot(),
            JudgeBias = new JudgePositionBias(verdicts, firstWins),
            CallHealth = callHealth.Build(),
            Alerts = alerts.Build(),
        };
    }

    // Saved research failing must not take the spend figures and the kill switch off the page with it.
    private async Task<ResearchStorageReport?> ResearchStorageAsync(List<string> warnings)
    {
        if (retention.LastSweep is { Failure: { } failure } sweep)
            warnings.Add($"The retention sweep at {sweep.At.UtcDateTime:HH:mm} UTC failed ({failure}); it runs again within {ResearchRetention.Interval.TotalHours:0} hours.");
        try
        {
            var stats = await research.StatsAsync();
            var shared = await research.ListSharedAsync(SharedShown);
            // An example whose owner revoked its link stays listed, so the operator can still unpin it.
            var examples = await research.ListExamplesAsync();
            var shareable = shared.Concat(examples).DistinctBy(r => r.Id).OrderByDescending(r => r.LastActivityAt).ToList();
            return new ResearchStorageReport(stats, storage.Value.RetentionDays, retention.LastSweep, shareable, storage.Value.ResearchPath);
        }
        catch (StorageUnavailableException ex)
        {
            warnings.Add($"{ex.Message} Spend, the caps and the kill switch are unaffected.");
            return null;
        }
    }
}
