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
}
