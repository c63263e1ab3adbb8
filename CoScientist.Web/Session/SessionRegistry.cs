using System.Collections.Concurrent;
using CoScientist.Core.Telemetry;

namespace CoScientist.Web.Session;

/// <summary>What the admin page may know about a live session: no goal, no key, no IP.</summary>
public sealed record SessionSummary(string Id, string ClientHash, DateTimeOffset StartedAt, int Cycles, int Requests, bool Running, bool OwnKey);

/// <summary>How long recent sessions lasted (null percentiles before any has closed).</summary>
public sealed record SessionDurations(int Sessions, TimeSpan? P50, TimeSpan? P95);

/// <summary>
/// The live sessions, for the admin page, and how long the last <see cref="DurationWindow"/> closed ones lasted (from
/// circuit open to close: a session is created with its circuit's scope and removed when the scope is disposed).
/// Sessions add and remove themselves.
/// </summary>
public sealed class SessionRegistry(TimeProvider clock)
{
    public const int DurationWindow = 500;

    private readonly ConcurrentDictionary<string, Func<SessionSummary>> _sessions = new();
    private readonly RollingWindow<double> _durations = new(DurationWindow);

    public void Add(string id, Func<SessionSummary> describe) => _sessions[id] = describe;

    public void Remove(string id)
    {
        if (!_sessions.TryRemove(id, out var describe)) return;
        var seconds = Math.Max(0, (clock.GetUtcNow() - describe().StartedAt).TotalSeconds);
        _durations.Add(seconds);
        CoScientistMetrics.SessionDuration.Record(seconds);
    }

    public IReadOnlyList<SessionSummary> Active() => _sessions.Values.Select(s => s()).OrderByDescending(s => s.StartedAt).ToList();

    public SessionDurations Durations()
    {
        var seconds = _durations.ToArray();
        return new SessionDurations(seconds.Length, Span(Percentile.Of(seconds, 0.5)), Span(Percentile.Of(seconds, 0.95)));
    }

    private static TimeSpan? Span(double? seconds) => seconds is { } s ? TimeSpan.FromSeconds(s) : null;
}
