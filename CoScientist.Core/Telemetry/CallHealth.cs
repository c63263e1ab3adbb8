using System.Collections.Concurrent;
using CoScientist.Core.Research;

namespace CoScientist.Core.Telemetry;

/// <summary>
/// One model's calls in one step over the admin page's window: how many, how long the answered ones took, and how many
/// met a 429, a 5xx, or gave an answer that could not be used. Shares are of the calls in the window.
/// </summary>
public sealed record CallHealthRow(string Model, string Step, int Calls, double? P50Seconds, double? P95Seconds,
    int RateLimited, int ServerErrors, int ParseFailures)
{
    public double RateLimitedShare => Share(RateLimited);
    public double ServerErrorShare => Share(ServerErrors);
    public double ParseFailureShare => Share(ParseFailures);

    private double Share(int count) => Calls == 0 ? 0 : (double)count / Calls;
}

/// <summary>
/// Response times and error rates per model and step. Every fact goes both to /metrics (a histogram and counters, for
/// an operator's own dashboards over any period) and into a small window per model and step (the last
/// <see cref="Window"/> events) from which the admin page computes p50/p95. The ledger keeps no durations, and the
/// page's question is "how is it going now", which a bounded recent window answers without a query over history.
/// </summary>
public sealed class CallHealth
{
    public const int Window = 200;
    /// <summary>Model and step pairs kept apart; beyond it calls are pooled under <see cref="OtherModel"/> (bounded memory and series).</summary>
    public const int MaxSeries = 256;
    public const string OtherModel = "(other)";

    private enum Kind : byte { Answered, Failed, ParseFailure }

    private readonly record struct Event(Kind Kind, double Seconds, bool RateLimited, bool ServerError);

    private readonly ConcurrentDictionary<(string Model, string Step), RollingWindow<Event>> _series = new();

    /// <summary>A finished call: its duration (retries included), its outcome, and the 429s and 5xx its attempts met.</summary>
    public void Call(string model, CycleStep? step, TimeSpan duration, string outcome, int rateLimitedAttempts, int serverErrorAttempts)
    {
        var key = Key(model, step);
        var tags = Tags(key);
        CoScientistMetrics.LlmDuration.Record(duration.TotalSeconds, tags[0], tags[1], new("outcome", outcome));
        if (rateLimitedAttempts > 0)
            CoScientistMetrics.LlmErrors.Add(rateLimitedAttempts, tags[0], tags[1], new("kind", "rate_limited"));
        if (serverErrorAttempts > 0)
            CoScientistMetrics.LlmErrors.Add(serverErrorAttempts, tags[0], tags[1], new("kind", "server_error"));
        // A call the visitor cancelled says nothing about the provider's health.
        if (outcome == Outcomes.Cancelled) return;
        Series(key).Add(new Event(outcome == Outcomes.Ok ? Kind.Answered : Kind.Failed, duration.TotalSeconds,
            rateLimitedAttempts > 0, serverErrorAttempts > 0));
    }

    /// <summary>An answer that arrived but could not be used (not JSON, or missing what the agent needs).</summary>
    public void ParseFailure(string model, CycleStep? step)
    {
        var key = Key(model, step);
        var tags = Tags(key);
        CoScientistMetrics.LlmErrors.Add(1, tags[0], tags[1], new("kind", "parse_failure"));
        Series(key).Add(new Event(Kind.ParseFailure, 0, false, false));
    }

    public IReadOnlyList<CallHealthRow> Snapshot() => _series
        .Select(s => Row(s.Key, s.Value.ToArray()))
        .Where(r => r.Calls > 0 || r.ParseFailures > 0)
        .OrderBy(r => r.Model, StringComparer.Ordinal).ThenBy(r => r.Step, StringComparer.Ordinal)
        .ToList();

    private static CallHealthRow Row((string Model, string Step) key, Event[] events)
    {
        var calls = events.Where(e => e.Kind != Kind.ParseFailure).ToList();
        // Failures' durations are mostly backoff and deadlines: they would hide how fast the model answers. They show as rates.
        var answered = calls.Where(e => e.Kind == Kind.Answered).Select(e => e.Seconds).ToList();
        return new CallHealthRow(key.Model, key.Step, calls.Count, Percentile.Of(answered, 0.5), Percentile.Of(answered, 0.95),
            calls.Count(e => e.RateLimited), calls.Count(e => e.ServerError), events.Count(e => e.Kind == Kind.ParseFailure));
    }

    private RollingWindow<Event> Series((string Model, string Step) key) => _series.GetOrAdd(key, _ => new RollingWindow<Event>(Window));

    private (string Model, string Step) Key(string model, CycleStep? step)
    {
        var key = (model, step?.ToString() ?? "Other");
        return _series.ContainsKey(key) || _series.Count < MaxSeries ? key : (OtherModel, key.Item2);
    }

    private static KeyValuePair<string, object?>[] Tags((string Model, string Step) key) => [new("model", key.Model), new("step", key.Step)];
}

/// <summary>The outcome tag of coscientist.llm.duration: ok, cancelled, or the failure's <see cref="Llm.LlmErrorKind"/>.</summary>
public static class Outcomes
{
    public const string Ok = "ok";
    public const string Cancelled = "cancelled";
}
