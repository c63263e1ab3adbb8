using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Storage;

/// <summary>One retention sweep: how many research it deleted, or why it could not.</summary>
public sealed record RetentionSweep(DateTimeOffset At, int Deleted, string? Failure);

/// <summary>
/// Deletes research nobody shared and the operator did not pin once it has been inactive for
/// <c>storage:retention_days</c>: <see cref="FirstDelay"/> after start, then every <see cref="Interval"/>.
/// A sweep that fails is logged and the next one tries again; storage trouble never stops the app.
/// </summary>
public sealed class ResearchRetention(IResearchStore store, IOptions<StorageOptions> options, TimeProvider clock,
    ILogger<ResearchRetention> logger) : BackgroundService
{
    /// <summary>Start-up (reopening interrupted research, loading the catalogue) has the disk to itself first.</summary>
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan Interval = TimeSpan.FromHours(6);

    private PeriodicTimer? _timer;

    /// <summary>The last sweep, for the admin page; null until one has run. Replaced whole.</summary>
    public RetentionSweep? LastSweep { get; private set; }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Created here rather than in ExecuteAsync so the first sweep is due FirstDelay after StartAsync returns.
        _timer = new PeriodicTimer(FirstDelay, clock);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _timer!.WaitForNextTickAsync(stoppingToken))
            {
                _timer.Period = Interval; // counted from this tick, so a slow sweep does not shift the next one much
                await SweepAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Deletes what has expired now; never throws for a storage failure (the host stops when a background service throws).</summary>
    public async Task<RetentionSweep> SweepAsync()
    {
        var now = clock.GetUtcNow();
        var days = options.Value.RetentionDays;
        RetentionSweep sweep;
        try
        {
            var deleted = await store.DeleteInactiveAsync(now - TimeSpan.FromDays(days));
            sweep = new RetentionSweep(now, deleted, null);
            // A count only: what unshared research was about, and its address, stay private.
            logger.LogInformation("Retention sweep deleted {Count} research never shared and inactive for more than {Days} days", deleted, days);
        }
        catch (Exception ex)
        {
            sweep = new RetentionSweep(now, 0, ex is StorageUnavailableException ? ex.Message : ex.GetType().Name);
            logger.LogError(ex, "Retention sweep failed; it runs again in {Hours} hours", Interval.TotalHours);
        }
        LastSweep = sweep;
        return sweep;
    }

    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }
}
