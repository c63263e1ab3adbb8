using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using CoScientist.Core.Telemetry;

namespace CoScientist.Core.Literature;

/// <summary>One source's lookups since the server started: asked, answered from the cache, sent, retried, failed.</summary>
public sealed record LiteratureSourceStats(LiteratureSource Source, long Lookups, long CacheHits, long Requests, long Retries, long Failures)
{
    public string Name => PaperText.SourceName(Source);
}

/// <summary>
/// What the literature sources were asked, for the admin page and /metrics (coscientist.literature.requests by source
/// and outcome). The searches cost no money, but they cost the sources' goodwill: an operator should see them.
/// </summary>
public sealed class LiteratureStats
{
    private static readonly Counter<long> Requests = CoScientistMetrics.Meter.CreateCounter<long>(
        "coscientist.literature.requests", "{request}", "Literature lookups, by source and outcome (sent, cached, retried, failed)");
    private readonly ConcurrentDictionary<LiteratureSource, long[]> _counts = new();

    private enum Kind { Lookup, CacheHit, Request, Retry, Failure }

    internal void Lookup(LiteratureSource source) => Add(source, Kind.Lookup, null);
    internal void CacheHit(LiteratureSource source) => Add(source, Kind.CacheHit, "cached");
    internal void Request(LiteratureSource source) => Add(source, Kind.Request, "sent");
    internal void Retry(LiteratureSource source) => Add(source, Kind.Retry, "retried");
    internal void Failure(LiteratureSource source) => Add(source, Kind.Failure, "failed");

    public IReadOnlyList<LiteratureSourceStats> Snapshot() =>
        Enum.GetValues<LiteratureSource>().Select(s => _counts.TryGetValue(s, out var c)
            ? new LiteratureSourceStats(s, Interlocked.Read(ref c[0]), Interlocked.Read(ref c[1]), Interlocked.Read(ref c[2]), Interlocked.Read(ref c[3]), Interlocked.Read(ref c[4]))
            : new LiteratureSourceStats(s, 0, 0, 0, 0, 0)).ToList();

    private void Add(LiteratureSource source, Kind kind, string? outcome)
    {
        Interlocked.Increment(ref _counts.GetOrAdd(source, _ => new long[5])[(int)kind]);
        if (outcome is not null)
            Requests.Add(1, new KeyValuePair<string, object?>("source", source.ToString()), new KeyValuePair<string, object?>("outcome", outcome));
    }
}
