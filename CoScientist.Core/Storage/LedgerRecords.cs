using CoScientist.Core.Llm;

namespace CoScientist.Core.Storage;

/// <summary>
/// Reserved: in flight (or left open by a crash), counted at its worst case. Unconfirmed: it ended without
/// a cost from OpenRouter (lost connection, timeout, cancelled mid-answer) and stays at its worst case until
/// OpenRouter confirms what it charged.
/// </summary>
public enum CallStatus { Reserved, Settled, Failed, Unconfirmed }

/// <summary>A call about to be made: written before the call, at its worst-case cost.</summary>
public sealed record CallReservation(DateTimeOffset At, string SessionId, string ClientHash, string Model, string? Step, KeyKind KeyKind, decimal ReservedUsd);

/// <summary>What a cycle cost against what was estimated; the admin page tracks the ratio.</summary>
public sealed record CycleRecord(DateTimeOffset StartedAt, string SessionId, string ClientHash, string Goal, string Model, KeyKind KeyKind,
    decimal ExpectedUsd, decimal WorstUsd);

public sealed record ModelSpend(string Model, int Calls, long InputTokens, long OutputTokens, decimal CostUsd);
public sealed record HourSpend(DateTimeOffset Hour, decimal CostUsd);
public sealed record SessionUsage(string SessionId, string ClientHash, int Cycles, int Calls, decimal CostUsd, DateTimeOffset LastSeen);
public sealed record TopicCount(string Goal, int Cycles);
public sealed record EstimateAccuracy(int Cycles, double MeanRatio, double MinRatio, double MaxRatio);
public sealed record KeyKindUsage(KeyKind KeyKind, int Calls, decimal CostUsd);
public sealed record ErrorCount(string Error, int Count);
