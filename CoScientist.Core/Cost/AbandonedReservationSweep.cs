using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Cost;

/// <summary>
/// Closes the reservations of calls that can no longer be running anywhere. A call is bounded by
/// <c>openrouter_timeout_seconds</c> (after at most a minute's wait for room under the caps) from its reservation, so a
/// row still "Reserved" a margin past that belongs to a process that stopped mid-call (a crash, a kill -9, a lost machine). It is closed as Unconfirmed at its worst case:
/// what it counts does not change, so the caps, a restart's reload and Redis seeds all agree, but it no longer reads as
/// in flight, and the admin page lists it among the errors as "Interrupted". Runs at start and then every half window,
/// so a row is closed at most 1.5 windows after its reservation. Closing a call that is somehow still alive is harmless:
/// its settlement overwrites the row with what it really cost.
/// </summary>
public sealed class AbandonedReservationSweep(SpendLedger ledger, IOptions<OpenRouterOptions> options, TimeProvider clock,
    ILogger<AbandonedReservationSweep> logger) : BackgroundService
{
    /// <summary>
    /// Room after a call's deadline for its settlement to be written on a busy machine, and for the clocks of instances
    /// sharing one ledger to disagree: closing a live call costs nothing, but it would read as interrupted for a while.
    /// </summary>
    public static readonly TimeSpan Margin = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a reservation may stay open: the longest a call may wait for room under the caps (its row can be stamped
    /// when it starts waiting), the longest it can run, and the margin.
    /// </summary>
    public TimeSpan Window => WindowFor(options.Value.TimeoutSeconds);

    public static TimeSpan WindowFor(int timeoutSeconds) => SpendGuard.MaxWaitForRoom + TimeSpan.FromSeconds(timeoutSeconds) + Margin;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Window / 2, clock);
        try
        {
            do Sweep();
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Closes what is past its window now; never throws for a storage failure (the host stops when a background service throws).</summary>
    public int Sweep()
    {
        try
        {
            var closed = ledger.CloseAbandoned(clock.GetUtcNow() - Window);
            if (closed > 0)
                logger.LogWarning("{Count} call(s) left open by a process that stopped mid-call are closed; they stay counted at their worst case", closed);
            return closed;
        }
        catch (Exception ex) when (SpendLedger.IsStorageFailure(ex))
        {
            logger.LogError("Open reservations could not be swept ({Error}); they stay counted at their worst case and are tried again", ex.Message);
            return 0;
        }
    }
}
