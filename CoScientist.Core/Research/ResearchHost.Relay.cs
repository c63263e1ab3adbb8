using System.Collections.Concurrent;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Logging;

namespace CoScientist.Core.Research;

/// <summary>
/// Research on a site of several instances (<see cref="IResearchRelay"/>): the instance running a cycle announces every
/// change after saving it; the others holding the research show its status and steps and reload the saved content;
/// a cancel from another instance reaches the runner; the owner's other changes are refused while it runs elsewhere.
/// On a single instance the relay is local and none of this does anything.
/// </summary>
public sealed partial class ResearchHost
{
    public const string RunningElsewhere = "A cycle of this research is running on another server of this site; it shows here live.";
    public const string RelayUnavailable =
        "Cycles cannot start right now: a service this site's servers share is temporarily unavailable. Everything so far is kept; try again in a minute.";

    private readonly ConcurrentDictionary<string, IAsyncDisposable> _listening = new();

    /// <summary>
    /// How often an instance showing a cycle that runs elsewhere checks that its runner still holds the run lease. A live
    /// runner re-takes a lease Redis lost within one renewal (a third of the lease time), so a lease missing at two checks
    /// in a row means the runner is gone (it crashed, or its end was never heard): the page stops showing it running.
    /// </summary>
    internal TimeSpan RunnerCheckPeriod { get; set; } = TimeSpan.FromSeconds(30);

    private int _catchingUp;

    /// <summary><paramref name="recheck"/>: it was seen running elsewhere, and may have ended before the subscription took.</summary>
    private async Task ListenAsync(LiveResearch research, bool recheck = false)
    {
        if (!relay.IsShared || _listening.ContainsKey(research.Id)) return;
        if (Interlocked.Exchange(ref _catchingUp, 1) == 0)
        {
            relay.Reconnected += () => _ = CatchUpAsync();
            relay.LeaseLost += LeaseLost;
        }
        var watch = new RunnerWatch(await relay.ListenAsync(research.Id, news => OnNewsAsync(research.Id, news)));
        watch.Timer = clock.CreateTimer(_ => _ = CheckRunnerAsync(research, watch), null, RunnerCheckPeriod, RunnerCheckPeriod);
        if (!_listening.TryAdd(research.Id, watch))
        {
            await watch.DisposeAsync();
            return;
        }
        // It may have ended between loading and listening: then no news would ever say so.
        if (recheck && research.RunsElsewhere && await relay.IsRunLeasedAsync(research.Id) == false)
            await RunnerGoneAsync(research);
    }

    private async Task StopListeningAsync(string id)
    {
        if (!_listening.TryRemove(id, out var listening)) return;
        await listening.DisposeAsync();
        // Opened again while this was unsubscribing: listen again.
        if (_live.TryGetValue(id, out var again))
            await ListenAsync(again);
    }

    /// <summary>
    /// Back after Redis was lost: a cycle that ended meanwhile sent its end to nobody, so research still shown running
    /// elsewhere is reloaded if the store says it ended. One the store still shows running is left to the runner's next
    /// news: its lease may be missing only because Redis restarted empty, until the runner renews it.
    /// </summary>
    private async Task CatchUpAsync()
    {
        foreach (var research in _live.Values.Where(r => r.RunsElsewhere).ToList())
        {
            try
            {
                if (await store.GetRecordAsync(research.Id) is { RunningCycle: null })
                    await RunnerGoneAsync(research);
            }
            catch (StorageUnavailableException ex)
            {
                logger.LogWarning("Research {Research} could not be reloaded after Redis came back: {Error}", research.Id, ex.Message);
            }
        }
    }

    private async Task CheckRunnerAsync(LiveResearch research, RunnerWatch watch)
    {
        try
        {
            if (!research.RunsElsewhere || await relay.IsRunLeasedAsync(research.Id) is not false)
            {
                watch.Missed = 0; // running here, idle, leased, or Redis cannot say: nothing to conclude
                return;
            }
            if (Interlocked.Increment(ref watch.Missed) < 2) return;
            watch.Missed = 0;
            await RunnerGoneAsync(research);
        }
        catch (Exception ex)
        {
            // A timer's exception would end the process; the next check tries again.
            logger.LogWarning("Research {Research}: could not check whether its cycle still runs elsewhere ({Error})", research.Id, ex.Message);
        }
    }

    /// <summary>The subscription to one research's news, and the timer that checks its runner is still alive.</summary>
    private sealed class RunnerWatch(IAsyncDisposable listening) : IAsyncDisposable
    {
        public ITimer? Timer { get; set; }
        public int Missed;

        public async ValueTask DisposeAsync()
        {
            Timer?.Dispose();
            await listening.DisposeAsync();
        }
    }

    /// <summary>Another instance holds the run lease of a cycle running here: two runners would spend twice, so this one stops.</summary>
    private void LeaseLost(string id)
    {
        if (!_live.TryGetValue(id, out var research) || !research.RunsHere) return;
        logger.LogError("Research {Research}: another server took over its run lease; the cycle running here is cancelled", id);
        research.Cancel();
    }

    private async Task OnNewsAsync(string id, ResearchNews news)
    {
        if (!_live.TryGetValue(id, out var research)) return;
        if (news.Kind == NewsKind.Cancel)
        {
            if (research.RunsHere)
            {
                logger.LogInformation("Research {Research}: cancelled from another server", id);
                research.Cancel();
            }
            return;
        }
        if (!research.Apply(news)) return;
        // The end always reloads: the final report and ranking are in the store by then.
        if (news.ContentChanged || news.Status != ResearchStatus.Running)
            research.RequestReload(() => ReloadAsync(research));
        await research.NotifyWatchersAsync();
    }

    private async Task ReloadAsync(LiveResearch research)
    {
        if (await store.GetRecordAsync(research.Id) is not { } record || await store.LoadAsync(research.Id) is not { } snapshot)
            return;
        research.Reloaded(record, snapshot);
        await research.NotifyWatchersAsync();
    }

    /// <summary>Saved first (the run loop saves before it notifies), then told: whoever reloads on the news finds it.</summary>
    private async Task AnnounceAsync(LiveResearch research, bool contentChanged)
    {
        if (!relay.IsShared || research.Record is null || research.RunsElsewhere) return;
        // The lease goes before the news of the end, so a start on the news is not refused for a lease about to go.
        if (!research.IsRunning && !research.Starting)
            await relay.ReleaseRunAsync(research.Id);
        await relay.PublishAsync(research.Id, research.News(contentChanged));
    }

    private void Ended(LiveResearch research)
    {
        // Usually given back with the news of the end already; not if the next cycle is being started meanwhile.
        if (!research.IsRunning && !research.Starting)
            _ = relay.ReleaseRunAsync(research.Id);
        Release(research);
    }

    /// <summary>Null when the cycle that seemed to run elsewhere is gone (and this copy now shows the saved state).</summary>
    private async Task<string?> RunningElsewhereRefusalAsync(LiveResearch research)
    {
        switch (await relay.IsRunLeasedAsync(research.Id))
        {
            case true: return RunningElsewhere;
            case null: return RelayUnavailable;
        }
        await RunnerGoneAsync(research);
        return null;
    }

    /// <summary>Its end was missed or its instance died: the saved state is shown, and a cycle left running is marked interrupted.</summary>
    private async Task RunnerGoneAsync(LiveResearch research)
    {
        if (await store.GetRecordAsync(research.Id) is { RunningCycle: { } cycle } record)
            await MarkInterruptedAsync(record, cycle);
        research.NoLongerRunningElsewhere();
        if (await store.GetRecordAsync(research.Id) is { } saved && await store.LoadAsync(research.Id) is { } snapshot)
        {
            research.Reloaded(saved, snapshot);
            research.Loaded(saved, snapshot);
        }
        await research.NotifyWatchersAsync();
    }

    private async Task<ResearchRecord?> MarkInterruptedAsync(ResearchRecord record, int cycle)
    {
        logger.LogWarning("Research {Research}: cycle {Cycle} was running on a server that stopped; it is marked interrupted", record.Id, cycle);
        await store.MarkInterruptedAsync(record.Id, cycle, clock.GetUtcNow());
        return await store.GetRecordAsync(record.Id);
    }

    private static string? LeaseRefusal(RunLease lease) => lease switch
    {
        RunLease.HeldElsewhere => RunningElsewhere,
        RunLease.Unavailable => RelayUnavailable,
        _ => null,
    };
}
