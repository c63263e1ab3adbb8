namespace CoScientist.Core.Research;

public sealed record ItemFailure(CycleStep Step, string Item, string Error);

/// <summary>Calls, tokens and money of one step.</summary>
public sealed record StepReport(CycleStep Step, int Calls, long InputTokens, long OutputTokens, decimal CostUsd, int Failures, TimeSpan Elapsed);

/// <summary><see cref="Interrupted"/>: the process stopped while the cycle ran (a restart or a crash); what was saved is kept.</summary>
public enum CycleOutcome { Completed, CompletedWithFailures, Cancelled, Failed, Blocked, TimedOut, Interrupted }

/// <summary>The honest account of one cycle: what ran, what it cost, what failed.</summary>
public sealed record CycleReport(
    int Cycle,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    CycleOutcome Outcome,
    IReadOnlyList<StepReport> Steps,
    IReadOnlyList<ItemFailure> Failures,
    string? Message = null)
{
    public int LlmCalls => Steps.Sum(s => s.Calls);
    public decimal CostUsd => Steps.Sum(s => s.CostUsd);
    public long InputTokens => Steps.Sum(s => s.InputTokens);
    public long OutputTokens => Steps.Sum(s => s.OutputTokens);
    public TimeSpan Duration => FinishedAt - StartedAt;

    /// <summary>
    /// The cycle produced nothing because OpenRouter could not be reached or kept failing: it does not use up
    /// the visitor's cycle allowance (whatever it did cost still counts against the spend caps).
    /// </summary>
    public bool ProviderUnavailable { get; init; }

    /// <summary>The Literature step's account (null when the cycle did not search).</summary>
    public LiteratureReport? Literature { get; init; }

    /// <summary>The owner's directive this cycle followed (given to generation, evolution and the judge).</summary>
    public string? Directive { get; init; }
}
