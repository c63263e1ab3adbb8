using System.Diagnostics.Metrics;
using CoScientist.Core.Telemetry;

namespace CoScientist.Core.Agents.Ranking;

/// <summary>
/// The LLM judge's position bias, server-wide since start: of the verdicts given, how many went to the hypothesis shown
/// first. An unbiased judge, with the order drawn at random, gives it about half. Also in /metrics
/// (coscientist.judge.verdicts by position of the winner).
/// </summary>
public sealed class JudgePositionStats
{
    private static readonly Counter<long> Verdicts = CoScientistMetrics.Meter.CreateCounter<long>(
        "coscientist.judge.verdicts", "{verdict}", "LLM judge verdicts, by whether the hypothesis shown first won");
    private long _verdicts, _firstWins;

    public void Record(bool shownFirstWon)
    {
        Interlocked.Increment(ref _verdicts);
        if (shownFirstWon) Interlocked.Increment(ref _firstWins);
        Verdicts.Add(1, new KeyValuePair<string, object?>("winner", shownFirstWon ? "shown_first" : "shown_second"));
    }

    public (long Verdicts, long FirstWins) Snapshot() => (Interlocked.Read(ref _verdicts), Interlocked.Read(ref _firstWins));

    /// <summary>Share of verdicts won by the hypothesis shown first; null before any.</summary>
    public double? FirstWinShare => Snapshot() is var (n, first) && n > 0 ? (double)first / n : null;
}
