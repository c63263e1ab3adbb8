namespace CoScientist.Core.Research;

/// <summary>Scientist: written by the research's owner rather than an agent.</summary>
public enum HypothesisOrigin { Generated, Evolved, Scientist }

public enum EvolutionStrategy { Combination, Simplification, FeasibilityImprovement, OutOfTheBox }

/// <summary>The fields an agent proposes; <see cref="ResearchState"/> turns a draft into a <see cref="Hypothesis"/>.</summary>
public sealed record HypothesisDraft(string Title, string Statement, string Rationale, string Prediction)
{
    /// <summary>Numbers of the retrieved papers the agent cited, as it wrote them (checked against the research's papers on adding).</summary>
    public IReadOnlyList<int> Citations { get; init; } = [];
}

/// <summary>
/// A hypothesis and what the tournament has learnt about it. Immutable: <see cref="ResearchState"/>
/// replaces it with an updated copy, so a reader never sees half an update.
/// </summary>
public sealed record Hypothesis
{
    public required string Id { get; init; }
    public required string Title { get; init; }
    public required string Statement { get; init; }
    public required string Rationale { get; init; }
    public required string Prediction { get; init; }
    public required int CycleCreated { get; init; }
    public HypothesisOrigin Origin { get; init; } = HypothesisOrigin.Generated;
    public IReadOnlyList<string> ParentIds { get; init; } = [];
    public EvolutionStrategy? Strategy { get; init; }
    /// <summary>Numbers of the research's retrieved papers this hypothesis cites (see <see cref="ResearchPaper.Number"/>).</summary>
    public IReadOnlyList<int> Citations { get; init; } = [];

    public double Elo { get; init; } = EloRating.InitialRating;
    /// <summary>Half the width of the rating's 95% interval, in Elo points (the ± shown beside it); null until rated.</summary>
    public double? EloMargin { get; init; }
    /// <summary>The owner pinned it: always kept in the tournament and among evolution's parents.</summary>
    public bool Pinned { get; init; }
    /// <summary>The owner rejected it: out of the tournament and evolution, still shown (greyed).</summary>
    public bool Rejected { get; init; }
    public double EloAtCycleStart { get; init; } = EloRating.InitialRating;
    public int Wins { get; init; }
    public int Losses { get; init; }
    public Review? Review { get; init; }
    public string? ReviewError { get; init; }
    public string? DuplicateOfId { get; init; }
    public float[]? Embedding { get; init; }
    public IReadOnlyList<EloPoint> EloHistory { get; init; } = [];

    public int MatchesPlayed => Wins + Losses;
    public bool IsNearDuplicate => DuplicateOfId is not null;
    public double EloChangeThisCycle => Elo - EloAtCycleStart;

    /// <summary>The text the embedding model and the judges see.</summary>
    public string Describe() => $"{Title}\n{Statement}\nRationale: {Rationale}\nPrediction: {Prediction}";
}

public sealed record EloPoint(int Cycle, double Elo);
