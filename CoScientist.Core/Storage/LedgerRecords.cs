using CoScientist.Core.Llm;

namespace CoScientist.Core.Storage;

public enum CallStatus { Reserved, Settled, Failed }

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
