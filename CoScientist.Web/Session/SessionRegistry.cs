using System.Collections.Concurrent;

namespace CoScientist.Web.Session;

/// <summary>What the admin page may know about a live session: no goal, no key, no IP.</summary>
public sealed record SessionSummary(string Id, string ClientHash, DateTimeOffset StartedAt, int Cycles, int Requests, bool Running, bool OwnKey);

/// <summary>The live sessions, for the admin page. Sessions add and remove themselves.</summary>
public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<string, (Func<SessionSummary> Describe, Func<Task> Stop)> _sessions = new();

    public void Add(string id, Func<SessionSummary> describe, Func<Task> stop) => _sessions[id] = (describe, stop);

    public void Remove(string id) => _sessions.TryRemove(id, out _);

    /// <summary>Cancels every running cycle and waits for it to wind down; returns how many were running.</summary>
    public async Task<int> CancelAllAsync(CancellationToken cancellationToken)
    {
        var running = _sessions.Values.Where(s => s.Describe().Running).ToList();
        await Task.WhenAll(running.Select(s => s.Stop())).WaitAsync(cancellationToken);
        return running.Count;
    }

    public IReadOnlyList<SessionSummary> Active() => _sessions.Values.Select(s => s.Describe()).OrderByDescending(s => s.StartedAt).ToList();
}
