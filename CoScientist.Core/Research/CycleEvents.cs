namespace CoScientist.Core.Research;

public enum CycleStep { Literature, Generation, Reflection, Proximity, Ranking, Evolution, MetaReview }

/// <summary>What the Supervisor reports while a cycle runs; the UI renders these live.</summary>
public abstract record CycleEvent
{
    /// <summary>When it happened, by the supervisor's TimeProvider (stamped as it is emitted), so a fake clock governs it too.</summary>
    public DateTimeOffset At { get; init; }
}

public sealed record CycleStarted(int Cycle) : CycleEvent;
public sealed record StepStarted(CycleStep Step, int Total) : CycleEvent;
public sealed record StepProgress(CycleStep Step, int Done, int Total, decimal CostSoFar) : CycleEvent;
public sealed record StepFinished(CycleStep Step, StepReport Report) : CycleEvent;
public sealed record HypothesisAdded(Hypothesis Hypothesis) : CycleEvent;
public sealed record ReviewCompleted(string HypothesisId, Review Review) : CycleEvent;
public sealed record MatchPlayed(Match Match) : CycleEvent;
public sealed record ProximityUpdated(int Embedded, int NearDuplicates) : CycleEvent;
public sealed record MetaReviewWritten(MetaReview MetaReview) : CycleEvent;
/// <summary>The Literature step searched: what the sources answered, and the papers new to the research.</summary>
public sealed record LiteratureSearched(LiteratureReport Report, IReadOnlyList<ResearchPaper> Added) : CycleEvent;
public sealed record ItemFailed(CycleStep Step, string Item, string Error) : CycleEvent;
/// <summary>An LLM call settled: the step's and the cycle's cost so far.</summary>
public sealed record CallSettled(CycleStep Step, decimal StepCostUsd, decimal CycleCostUsd) : CycleEvent;
public sealed record CycleCompleted(CycleReport Report) : CycleEvent;
