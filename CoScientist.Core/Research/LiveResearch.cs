using System.Collections.Immutable;
using CoScientist.Core.Cost;

namespace CoScientist.Core.Research;

/// <summary>
/// One research as it is live in this server: its state, the cycle running on it (if any) and the
/// progress everyone watching it sees. Owned by the <see cref="ResearchHost"/>, not by any circuit:
/// a cycle goes on when the tab that started it closes, and anyone attached sees it live.
/// Watchers subscribe with a callback; a failing watcher is reported to the host, never swallowed
/// silently, and never stops the others.
/// </summary>
public sealed partial class LiveResearch(string id, ResearchState state)
{
    private readonly Lock _gate = new();
    private readonly List<ItemFailure> _failures = [];
    // Copied on change, read without a lock: every event reads it, and a busy moment used to queue threads on the lock.
    private ImmutableArray<Func<Task>> _watchers = [];
    private IReadOnlyList<StepView> _steps = StepView.Initial();
    private CancellationTokenSource? _runCts;
    private Task _run = Task.CompletedTask;

    public string Id { get; } = id;
    public ResearchState State { get; private set; } = state;
    public string Goal => State.Goal;
    public ResearchStatus Status { get; private set; } = ResearchStatus.Idle;
    public string StatusMessage { get; private set; } = "Enter a research goal and run a cycle.";
    /// <summary>The limit that stopped the last cycle part-way, if one did.</summary>
    public string? StoppedByLimit { get; private set; }
    public int? RunningCycle { get; private set; }
    public decimal RunningCost { get; private set; }
    public CycleEstimate? LastEstimate { get; private set; }
    /// <summary>The settings of the latest run, for exports.</summary>
    public ResearchSettings? LastSettings { get; private set; }
    public decimal? LastActualCost { get; private set; }
    public IReadOnlyList<StepView> Steps { get { lock (_gate) return _steps; } }
    public IReadOnlyList<ItemFailure> Failures { get { lock (_gate) return _failures.ToList(); } }
    public bool IsRunning => Status == ResearchStatus.Running;
    /// <summary>The running cycle's task; completed when none runs.</summary>
    public Task Run { get { lock (_gate) return _run; } }

    public ResearchSnapshot Snapshot() => State.Snapshot();

    /// <summary>Calls <paramref name="onChange"/> (off the renderer's thread) whenever anything visible changed, until disposed.</summary>
    public IDisposable Subscribe(Func<Task> onChange)
    {
        ImmutableInterlocked.Update(ref _watchers, w => w.Add(onChange));
        return new Subscription(this, onChange);
    }

    internal Action<Exception>? WatcherFailed { get; set; }
    /// <summary>Saves what an event changed; set by the host.</summary>
    internal Func<CycleEvent, Task>? Persist { get; set; }
    /// <summary>Told when the cycle ends: the run's hold on this research is released.</summary>
    internal Action<LiveResearch>? Idle { get; set; }

    /// <summary>Holders (circuits showing it, a running cycle); the host forgets the research when none is left. Host lock only.</summary>
    internal int Holds { get; set; }

    /// <summary>The saved record: null until the first cycle starts. Its owner alone may run, rename, share or delete it.</summary>
    public Storage.ResearchRecord? Record { get; internal set; }

    /// <summary>Restores what a page shows from a saved research.</summary>
    internal void Loaded(Storage.ResearchRecord record, ResearchSnapshot snapshot)
    {
        Record = record;
        LastSettings = record.Settings;
        LastActualCost = snapshot.Reports.Count > 0 ? snapshot.Reports[^1].CostUsd : null;
        if (snapshot.Reports.Count == 0)
        {
            StatusMessage = "Run the first cycle of this research.";
            return;
        }
        var last = snapshot.Reports[^1];
        (Status, StatusMessage) = last.Outcome switch
        {
            CycleOutcome.Interrupted => (ResearchStatus.Interrupted,
                $"Cycle {last.Cycle} was interrupted when the server stopped. Everything it finished is kept; you can run the next cycle."),
            CycleOutcome.Completed or CycleOutcome.CompletedWithFailures => (ResearchStatus.Completed, $"Cycle {last.Cycle} completed."),
            CycleOutcome.Cancelled => (ResearchStatus.Idle, $"Cycle {last.Cycle} was cancelled. Everything finished before that is kept."),
            _ => (ResearchStatus.Failed, $"Cycle {last.Cycle} did not complete: {last.Message}"),
        };
    }

    /// <summary>Tells this instance's watchers, and the other instances (<paramref name="contentChanged"/>: saved content to reload).</summary>
    internal async Task NotifyAsync(bool contentChanged = true)
    {
        if (Announce is { } announce)
        {
            try
            {
                await announce(this, contentChanged);
            }
            catch (Exception ex)
            {
                WatcherFailed?.Invoke(ex);
            }
        }
        await NotifyWatchersAsync();
    }

    /// <summary>Tells this instance's watchers only: for changes another instance made and announced.</summary>
    internal async Task NotifyWatchersAsync()
    {
        foreach (var watcher in _watchers)
        {
            try
            {
                await watcher();
            }
            catch (Exception ex)
            {
                WatcherFailed?.Invoke(ex);
            }
        }
    }

    /// <summary>An unsaved research takes the goal of its first cycle.</summary>
    internal void ResetForGoal(string goal)
    {
        lock (_gate)
            if (!string.Equals(State.Goal, goal, StringComparison.Ordinal))
                State = new ResearchState(goal);
    }

    private bool _starting;

    /// <summary>A start is under way (admission): its run lease is taken, not to be given back by a change meanwhile.</summary>
    internal bool Starting { get { lock (_gate) return _starting; } }

    /// <summary>One start at a time per research: a double click or a second tab cannot admit two cycles.</summary>
    internal bool TryClaimStart()
    {
        lock (_gate)
        {
            if (_starting || IsRunning) return false;
            return _starting = true;
        }
    }

    /// <summary>
    /// The start is over. With its cycle running, the claim ends now, so the cycle's end gives the run lease back; with
    /// none running (refused, failed, or over already), it is kept until <see cref="ReleaseStart"/>, and true says the
    /// caller gives the lease back meanwhile: a new start cannot claim it between the check and the release.
    /// </summary>
    internal bool EndStart()
    {
        lock (_gate)
        {
            if (!IsRunning) return true;
            _starting = false;
            return false;
        }
    }

    internal void ReleaseStart()
    {
        lock (_gate) _starting = false;
    }

    /// <summary>Cancels the running cycle, here or, through the host, on the instance that runs it.</summary>
    public void Cancel()
    {
        if (RunsElsewhere)
        {
            CancelElsewhere?.Invoke(this);
            return;
        }
        lock (_gate) _runCts?.Cancel();
    }

    /// <summary>Cancels the running cycle, if any, and waits (up to <paramref name="timeout"/>) until its calls are settled.</summary>
    public async Task<bool> StopAsync(TimeSpan timeout)
    {
        Task run;
        lock (_gate)
        {
            _runCts?.Cancel();
            run = _run;
        }
        try
        {
            await run.WaitAsync(timeout);
            return true;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            return false;
        }
    }

    private sealed class Subscription(LiveResearch research, Func<Task> onChange) : IDisposable
    {
        public void Dispose()
        {
            ImmutableInterlocked.Update(ref research._watchers, w => w.Remove(onChange));
        }
    }
}
