using CoScientist.Core.Llm;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Cost;

public sealed record ProviderReadFailure(DateTimeOffset At, string Reason);

/// <summary>
/// Asks OpenRouter (GET /key with the operator's key) what the key has spent today and this month, at
/// start and every <c>cost_control:provider_usage_refresh_minutes</c>, and hands the figures to
/// <see cref="SpendGuard"/> as a floor under the ledger's, and the key's remaining credit to <see cref="Alerts.KeyCreditWatch"/>. A failed read is logged and leaves the last
/// figure in force. A local server (every model of its catalogue unpriced) has no GET /key: once a read fails there, polling stops quietly.
/// </summary>
public sealed class ProviderUsageReconciler(OpenRouterKeyClient keys, SpendGuard guard, IOptions<OpenRouterOptions> openRouter,
    IOptionsMonitor<CostControlOptions> options, TimeProvider clock, ILogger<ProviderUsageReconciler> logger, Alerts.KeyCreditWatch credit,
    Models.IModelCatalog? catalog = null) : BackgroundService
{
    private PeriodicTimer? _timer;
    private volatile bool _localServer;

    /// <summary>The base URL is a local server, not OpenRouter: there is no key spend to read.</summary>
    public bool IsLocalServer => _localServer;

    /// <summary>When the last read failed and why; null once a read succeeds. Replaced whole, so the admin page never sees half of one.</summary>
    public ProviderReadFailure? LastFailure { get; private set; }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before the app takes traffic: on a fresh disk the ledger alone would count today from zero.
        await RefreshSafelyAsync(cancellationToken);
        _timer = new PeriodicTimer(TimeSpan.FromMinutes(options.CurrentValue.ProviderUsageRefreshMinutes), clock);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _timer!.WaitForNextTickAsync(stoppingToken))
                await RefreshSafelyAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Nothing here may stop the app: the host stops when a background service throws.</summary>
    private async Task RefreshSafelyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RefreshAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LastFailure = new ProviderReadFailure(clock.GetUtcNow(), ex.GetType().Name);
            logger.LogError(ex, "Reconciling the operator key's spend with OpenRouter failed; the last figure stays in force");
        }
    }

    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }

    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        if (_localServer || openRouter.Value.ApiKey is not { Length: > 0 } key)
            return;
        var mark = guard.SettledMark;
        var asked = clock.GetUtcNow();
        var read = await keys.ReadAsync(key, cancellationToken);
        if (cancellationToken.IsCancellationRequested)
            return;
        // Asked only after a failed read, so an OpenRouter deployment never fetches the catalogue for this.
        if (read.Info is null && await IsLocalCatalogueAsync(cancellationToken))
        {
            _localServer = true;
            LastFailure = null;
            logger.LogInformation("The model server lists no prices (a local server, not OpenRouter): its key's spend is not polled");
            return;
        }
        var answered = clock.GetUtcNow();
        // The same answer tells the key's remaining credit; a management key, if set, also reads the account's balance.
        var account = openRouter.Value.ManagementKey is { Length: > 0 } management ? await keys.ReadCreditsAsync(management, cancellationToken) : null;
        if (cancellationToken.IsCancellationRequested)
            return;
        credit.Observe(read, account, answered);
        if (read.Info is not { } info || info.UsageDaily is null && info.UsageMonthly is null)
        {
            var reason = read.Error ?? "the answer has no usage_daily or usage_monthly";
            LastFailure = new ProviderReadFailure(answered, reason);
            var inForce = guard.Sources() is { ProviderReadAt: { } last } sources && (sources.ProviderToday ?? sources.ProviderMonth) is not null
                ? $"the figure read at {last.UtcDateTime:yyyy-MM-dd HH:mm} UTC (plus what settled since) or the ledger's, whichever is larger,"
                : "the ledger's figure";
            logger.LogWarning("Could not read the operator key's spend from OpenRouter ({Reason}); {InForce} stays in force for the caps", reason, inForce);
            return;
        }
        // An answer that straddles UTC midnight may count either day; the next read settles it.
        if (DateOnly.FromDateTime(asked.UtcDateTime) != DateOnly.FromDateTime(answered.UtcDateTime))
            return;
        guard.ApplyProviderUsage(new ProviderUsage(info.UsageDaily, info.UsageMonthly, asked, mark));
        LastFailure = null;
        logger.LogDebug("OpenRouter counts ${Today} spent on the operator key today and ${Month} this month", info.UsageDaily, info.UsageMonthly);
    }

    private async Task<bool> IsLocalCatalogueAsync(CancellationToken cancellationToken) =>
        catalog is not null && await catalog.GetAsync(cancellationToken) is { IsLive: true, Models: { Count: > 0 } models } && models.All(m => m.IsLocal);
}
