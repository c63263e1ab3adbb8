using System.Diagnostics.Metrics;

namespace CoScientist.Core.Telemetry;

/// <summary>
/// The app's metrics (OpenTelemetry reads them through the "CoScientist" meter): spend, tokens,
/// cycles and LLM errors. Recorded where each fact is settled: spend and tokens by the spend guard,
/// cycles by the Supervisor, call latency and 429/5xx by the gateway's timing layer (CallHealthChatClient),
/// parse failures by StructuredLlm (all through <see cref="CallHealth"/>), refused models by CycleAdmission,
/// session durations by the web app's session registry.
/// </summary>
public static class CoScientistMetrics
{
    public const string MeterName = "CoScientist";
    internal static readonly Meter Meter = new(MeterName);

    public static readonly Counter<double> SpendUsd = Meter.CreateCounter<double>("coscientist.spend", "USD", "USD spent on LLM calls");
    public static readonly Counter<long> Tokens = Meter.CreateCounter<long>("coscientist.tokens", "{token}", "LLM tokens, by direction");
    public static readonly Counter<long> LlmCalls = Meter.CreateCounter<long>("coscientist.llm.calls", "{call}", "LLM calls, by outcome");
    public static readonly Counter<long> Cycles = Meter.CreateCounter<long>("coscientist.cycles", "{cycle}", "Research cycles, by outcome");

    // Buckets in seconds: the exporter's defaults are for milliseconds and would put every call in the first one.
    public static readonly Histogram<double> LlmDuration = Meter.CreateHistogram("coscientist.llm.duration", "s",
        "LLM call duration, retries included, by model, step and outcome", tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 90, 120, 300, 600] });
    public static readonly Counter<long> LlmErrors = Meter.CreateCounter<long>("coscientist.llm.errors", "{error}",
        "LLM errors by model, step and kind: rate_limited and server_error count every 429 or 5xx answer (retried ones too), parse_failure every unusable answer");
    public static readonly Histogram<double> SessionDuration = Meter.CreateHistogram("coscientist.session.duration", "s",
        "How long browser sessions lasted, from circuit open to close", tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = [10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400] });
    public static readonly Counter<long> RefusedModels = Meter.CreateCounter<long>("coscientist.models.refused", "{request}",
        "Cycles refused because the allow-list does not offer the requested model, by model (unknown: not in OpenRouter's catalogue)");

    /// <summary>Registers a gauge read on each scrape (the web app reports its live sessions this way).</summary>
    public static void ObserveActiveSessions(Func<int> count) =>
        Meter.CreateObservableGauge("coscientist.sessions.active", count, "{session}", "Live browser sessions");
}
