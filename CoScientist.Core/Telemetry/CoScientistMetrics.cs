using System.Diagnostics.Metrics;

namespace CoScientist.Core.Telemetry;

/// <summary>
/// The app's metrics (OpenTelemetry reads them through the "CoScientist" meter): spend, tokens,
/// cycles and LLM errors. Recorded where each fact is settled: spend and tokens by the spend guard,
/// cycles by the Supervisor.
/// </summary>
public static class CoScientistMetrics
{
    public const string MeterName = "CoScientist";
    internal static readonly Meter Meter = new(MeterName);

    public static readonly Counter<double> SpendUsd = Meter.CreateCounter<double>("coscientist.spend", "USD", "USD spent on LLM calls");
    public static readonly Counter<long> Tokens = Meter.CreateCounter<long>("coscientist.tokens", "{token}", "LLM tokens, by direction");
    public static readonly Counter<long> LlmCalls = Meter.CreateCounter<long>("coscientist.llm.calls", "{call}", "LLM calls, by outcome");
    public static readonly Counter<long> Cycles = Meter.CreateCounter<long>("coscientist.cycles", "{cycle}", "Research cycles, by outcome");

    /// <summary>Registers a gauge read on each scrape (the web app reports its live sessions this way).</summary>
    public static void ObserveActiveSessions(Func<int> count) =>
        Meter.CreateObservableGauge("coscientist.sessions.active", count, "{session}", "Live browser sessions");
}
