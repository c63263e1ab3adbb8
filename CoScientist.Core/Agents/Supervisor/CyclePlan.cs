using CoScientist.Core.Research;

namespace CoScientist.Core.Agents.Supervisor;

/// <summary>
/// Which LLM calls the next cycle will make, from the settings and the research as it stands. The
/// Supervisor runs this plan and the cost estimate prices it, so the two cannot drift apart.
/// Counts assume every call succeeds (a retried call is one more; a failed item makes fewer).
/// </summary>
public sealed record CyclePlan(
    IReadOnlyList<int> GenerationBatches,
    int Reviews,
    int MatchBudget,
    int MainMatches,
    bool Debate,
    int DebateTurnCalls,
    int Evolutions,
    int OffspringMatches)
{
    /// <summary>One call turns the goal (and the last meta-review) into search queries; 0 when the cycle does not search.</summary>
    public int LiteratureQueryCalls { get; init; }

    public const int HypothesesPerGenerationCall = 2;

    public int GenerationCalls => GenerationBatches.Count;
    public int NewHypotheses => GenerationBatches.Sum();
    public int OffspringReviews => Evolutions;
    public int MetaReviews => 1;

    public int Calls => LiteratureQueryCalls + GenerationCalls + Reviews + MainMatches + DebateTurnCalls + Evolutions + OffspringReviews + OffspringMatches + MetaReviews;

    public static CyclePlan For(ResearchSettings settings, ResearchSnapshot? research)
    {
        // Rejected hypotheses are out of the tournament (and evolution draws on it only).
        var existing = (research?.Hypotheses ?? []).Where(h => !h.Rejected).ToList();
        var n = settings.HypothesesPerCycle;
        var batches = Enumerable.Range(0, (n + HypothesesPerGenerationCall - 1) / HypothesesPerGenerationCall)
            .Select(i => Math.Min(HypothesesPerGenerationCall, n - i * HypothesesPerGenerationCall))
            .ToList();
        var contenders = existing.Count + n;
        // Evolution draws on the top-ranked hypotheses; with none at all there is nothing to evolve.
        var evolutions = contenders > 0 ? settings.EvolutionsPerCycle : 0;
        var budget = Math.Max(1, (int)Math.Round(settings.MatchBudgetFactor * n) - evolutions);
        var mainMatches = contenders >= 2 ? budget : 0;
        // The scheduler gives the closest pair of established hypotheses (both have played) at the top a debate.
        var debate = settings.DebateTurns > 0 && budget >= 2 && existing.Count(h => h.MatchesPlayed > 0) >= 2;
        var offspringMatches = contenders + evolutions >= 2 ? evolutions : 0;
        var unreviewed = (research?.Hypotheses ?? []).Count(h => h.Review is null);
        return new CyclePlan(batches, n + unreviewed, budget, mainMatches, debate,
            debate ? 2 * settings.DebateTurns : 0, evolutions, offspringMatches)
        {
            LiteratureQueryCalls = settings.LiteraturePapers > 0 ? 1 : 0,
        };
    }
}
