using System.Collections.Concurrent;

namespace CoScientist.Web.Session;

/// <summary>What the admin page may know about a live session: no goal, no key, no IP.</summary>
public sealed record SessionSummary(string Id, string ClientHash, DateTimeOffset StartedAt, int Cycles, int Requests, bool Running, bool OwnKey);

/// <summary>The live sessions, for the admin page. Sessions add and remove themselves.</summary>
public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<string, Func<SessionSummary>> _sessions = new();

    public void Add(string id, Func<SessionSummary> describe) => _sessions[id] = describe;

    public void Remove(string id) => _sessions.TryRemove(id, out _);

    public IReadOnlyList<SessionSummary> Active() => _sessions.Values.Select(s => s()).OrderByDescending(s => s.StartedAt).ToList();
}
