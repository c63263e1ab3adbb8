namespace CoScientist.Core.Research;

public sealed record DebateTurn(string Speaker, string Text);

/// <summary>One LLM-judged comparison and its effect on both ratings.</summary>
public sealed record Match(
    string Id,
    int Cycle,
    string HypothesisAId,
    string HypothesisBId,
    string WinnerId,
    string Rationale,
    bool IsDebate,
    IReadOnlyList<DebateTurn> Transcript,
    double EloABefore,
    double EloBBefore,
    double EloAAfter,
    double EloBAfter)
{
    public string LoserId => WinnerId == HypothesisAId ? HypothesisBId : HypothesisAId;

    /// <summary>Which contender the judge saw first (as "A"), drawn at random per match; null for matches before that.</summary>
    public string? ShownFirstId { get; init; }
}

/// <summary>
/// The research owner's own verdict on a pair: a separate track beside the LLM judge's matches, counted in the ratings
/// with the weight the owner chose (<see cref="ResearchSettings.VoteWeight"/>).
/// </summary>
public sealed record Vote(string Id, int Cycle, string HypothesisAId, string HypothesisBId, string WinnerId, DateTimeOffset At)
{
    public string LoserId => WinnerId == HypothesisAId ? HypothesisBId : HypothesisAId;
}
