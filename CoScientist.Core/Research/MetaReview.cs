namespace CoScientist.Core.Research;

/// <summary>The Meta-review of one cycle; its feedback steers the next cycle's prompts.</summary>
public sealed record MetaReview(
    int Cycle,
    IReadOnlyList<string> RecurringCritique,
    string ResearchOverview,
    IReadOnlyList<string> TopHypothesisIds,
    IReadOnlyList<string> NextSteps,
    IReadOnlyList<string> SuggestedExperiments)
{
    /// <summary>The compact text passed into Generation and Reflection prompts.</summary>
    public string AsFeedback()
    {
        var lines = new List<string> { "Recurring critique from earlier reviews:" };
        lines.AddRange(RecurringCritique.Select(c => "- " + c));
        lines.Add("Suggested next steps:");
        lines.AddRange(NextSteps.Select(s => "- " + s));
        return string.Join('\n', lines);
    }
}
