using System.Text.Json.Nodes;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;

namespace CoScientist.Core.Agents.MetaReview;

/// <summary>Synthesises the cycle; its feedback goes into the next cycle's Generation and Reflection prompts.</summary>
public sealed class MetaReviewAgent(StructuredLlm llm)
{
    private const int MaxHypothesesInPrompt = 15;
    private const int MaxMatchesInPrompt = 20;

    public Task<Research.MetaReview> ReviewAsync(AgentContext context, int cycle, IReadOnlyList<Hypothesis> ranked,
        IReadOnlyList<Match> matches, CancellationToken cancellationToken)
    {
        var known = ranked.Select(h => h.Id).ToHashSet();
        var request = context.Request(CycleStep.MetaReview, MetaReviewPrompt.System,
            MetaReviewPrompt.User(context.Goal, ranked.Take(MaxHypothesesInPrompt).ToList(), matches.TakeLast(MaxMatchesInPrompt).ToList()),
            context.Settings.ReflectionTemperature, MetaReviewPrompt.Schema);
        return llm.CallAsync(request, node => Read(node, cycle, known), cancellationToken);
    }

    internal static Research.MetaReview Read(JsonNode node, int cycle, IReadOnlySet<string> knownIds)
    {
        var overview = JsonRead.RequiredText(node, "research_overview", "overview", "summary");
        return new Research.MetaReview(
            cycle,
            JsonRead.TextList(node, "recurring_critique", "critique_patterns", "recurring_critiques"),
            overview,
            JsonRead.TextList(node, "top_hypotheses", "top_hypothesis_ids").Where(knownIds.Contains).Distinct().ToList(),
            JsonRead.TextList(node, "next_steps", "suggested_next_steps"),
            JsonRead.TextList(node, "suggested_experiments", "experiments"));
    }
}
