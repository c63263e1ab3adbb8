using CoScientist.Core.Storage;

namespace CoScientist.Core.Research;

/// <summary>
/// A research whose cycle another instance of the site runs: this copy shows the runner's news (status, steps) and
/// reloads the saved content when it changed; commands that would change it go to the runner or are refused.
/// </summary>
public sealed partial class LiveResearch
{
    private string? _newsFrom;
    private long _newsSeq;
    private bool _reloading;
    private bool _reloadAgain;

    /// <summary>A cycle of this research runs on another instance; this one shows it.</summary>
    public bool RunsElsewhere { get; private set; }

    /// <summary>Tells the other instances that something watchers see changed; set by the host.</summary>
    internal Func<LiveResearch, bool, Task>? Announce { get; set; }
    /// <summary>Asks the instance running this research's cycle to cancel it; set by the host.</summary>
    internal Action<LiveResearch>? CancelElsewhere { get; set; }

    /// <summary>This instance runs the cycle: its own state is the truth, and news from others is ignored.</summary>
    internal bool RunsHere => IsRunning && !RunsElsewhere;

    internal ResearchNews News(bool contentChanged)
    {
        lock (_gate)
            return new ResearchNews
            {
                Status = Status, StatusMessage = StatusMessage, StoppedByLimit = StoppedByLimit, RunningCycle = RunningCycle,
                RunningCost = RunningCost, LastActualCost = LastActualCost, LastEstimate = LastEstimate, LastSettings = LastSettings,
                Steps = _steps, Failures = _failures.ToList(), ContentChanged = contentChanged,
            };
    }

    /// <summary>Shows the running cycle as another instance told it; false for stale news (older than some already shown).</summary>
    internal bool Apply(ResearchNews news)
    {
        lock (_gate)
        {
            if (RunsHere || (news.From == _newsFrom && news.Seq <= _newsSeq)) return false;
            (_newsFrom, _newsSeq) = (news.From, news.Seq);
            RunsElsewhere = news.Status == ResearchStatus.Running;
            Status = news.Status;
            StatusMessage = RunsElsewhere ? RunningElsewhereMessage(news.RunningCycle) : news.StatusMessage;
            StoppedByLimit = news.StoppedByLimit;
            RunningCycle = news.RunningCycle;
            RunningCost = news.RunningCost;
            LastActualCost = news.LastActualCost;
            LastEstimate = news.LastEstimate;
            LastSettings = news.LastSettings ?? LastSettings;
            _steps = news.Steps;
            _failures.Clear();
            _failures.AddRange(news.Failures);
            return true;
        }
    }

    /// <summary>Opened while another instance runs its cycle; <paramref name="live"/> false when that cannot be watched now.</summary>
    internal void RunningElsewhere(int cycle, bool live)
    {
        lock (_gate)
        {
            RunsElsewhere = true;
            Status = ResearchStatus.Running;
            RunningCycle = cycle;
            StatusMessage = live
                ? RunningElsewhereMessage(cycle)
                : $"Cycle {cycle} is running on another server of this site and cannot be watched live right now (a shared service is temporarily unavailable). This is what it had saved; reload the page in a minute.";
        }
    }

    private static string RunningElsewhereMessage(int? cycle) =>
        $"Cycle {cycle} is running on another server of this site; it shows here live.";

    /// <summary>The runner is gone (its end was missed, or it died): this copy stops showing a cycle running.</summary>
    internal void NoLongerRunningElsewhere()
    {
        lock (_gate)
        {
            RunsElsewhere = false;
            if (Status == ResearchStatus.Running) Status = ResearchStatus.Idle;
            RunningCycle = null;
        }
    }

    /// <summary>The content as saved, reloaded because another instance changed it.</summary>
    internal void Reloaded(ResearchRecord record, ResearchSnapshot snapshot)
    {
        lock (_gate)
        {
            if (RunsHere) return;
            State = ResearchState.Restore(snapshot);
            Record = record;
        }
    }

    /// <summary>At most one reload in flight and one more queued: a burst of news costs two reloads, not one each.</summary>
    internal void RequestReload(Func<Task> reload)
    {
        lock (_gate)
        {
            if (_reloading)
            {
                _reloadAgain = true;
                return;
            }
            _reloading = true;
        }
        _ = Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    await reload();
                }
                catch (Exception ex)
                {
                    WatcherFailed?.Invoke(ex);
                }
                lock (_gate)
                {
                    if (!_reloadAgain)
                    {
                        _reloading = false;
                        return;
                    }
                    _reloadAgain = false;
                }
            }
        });
    }
}
