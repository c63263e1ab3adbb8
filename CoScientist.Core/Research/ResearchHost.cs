using System.Collections.Concurrent;
using CoScientist.Core.Agents.Supervisor;
using CoScientist.Core.Cost;
using CoScientist.Core.Storage;
using CoScientist.Core.Llm;
using Microsoft.Extensions.Logging;

namespace CoScientist.Core.Research;

/// <summary>
/// Owns the research that is live in this server and the cycles running on it, with their
/// cancellation and their server slots, independently of any browser circuit: a circuit attaches
/// to a research, forwards commands and watches; closing it leaves an admitted cycle running.
/// </summary>
public sealed class ResearchHost(CycleSupervisor supervisor, CycleAdmission admission, ILogger<ResearchHost> logger)
{
    private readonly ConcurrentDictionary<string, LiveResearch> _live = new();

    public CycleAdmission Admission => admission;

    /// <summary>A new, empty research with an unguessable id.</summary>
    public LiveResearch Create(string goal = "")
    {
        var research = new LiveResearch(ResearchIds.New(), new ResearchState(goal)) { WatcherFailed = WatcherFailed };
        _live[research.Id] = research;
        return research;
    }

    public LiveResearch? Find(string id) => _live.GetValueOrDefault(id);

    public IReadOnlyList<LiveResearch> Running => _live.Values.Where(r => r.IsRunning).ToList();

    /// <summary>
    /// Asks <see cref="CycleAdmission"/> whether the next cycle may run and, if so, starts it. The goal replaces the
    /// research's goal when it differs (a new line of research), else the cycle builds on what is there.
    /// </summary>
    public async Task<AdmissionResult> StartCycleAsync(LiveResearch research, CycleRequest request, LlmCallContext call,
        CancellationToken cancellationToken = default)
    {
        if (research.IsRunning)
            return new AdmissionResult { InputError = "A cycle is already running; wait for it or cancel it." };
        var goal = request.Goal.Trim();
        var snapshot = string.Equals(research.Goal, goal, StringComparison.Ordinal) ? research.Snapshot() : null;
        var admitted = await admission.AdmitAsync(request with { Research = snapshot }, cancellationToken);
        if (admitted.Ticket is not { } ticket)
            return admitted;
        research.ResetForGoal(goal);
        if (!research.TryStart(ticket, call, supervisor, logger))
        {
            ticket.Close(null, 0);
            return new AdmissionResult { InputError = "A cycle is already running; wait for it or cancel it." };
        }
        await research.NotifyAsync();
        return admitted;
    }

    /// <summary>Cancels every running cycle and waits for them to wind down; returns how many were running.</summary>
    public async Task<int> StopAllAsync(TimeSpan timeout)
    {
        var running = Running;
        await Task.WhenAll(running.Select(r => r.StopAsync(timeout)));
        return running.Count;
    }

    /// <summary>Forgets a research nobody watches and nothing runs on (it lives on in the store).</summary>
    public void Release(LiveResearch research)
    {
        if (!research.IsRunning && research.Watchers == 0)
            _live.TryRemove(new KeyValuePair<string, LiveResearch>(research.Id, research));
    }

    private void WatcherFailed(Exception ex) => logger.LogWarning(ex, "A watcher of a research failed to update");
}
