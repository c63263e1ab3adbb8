using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using static CoScientist.Core.Llm.JsonSchemaBuilder;

namespace CoScientist.Core.Agents.MetaReview;

internal static class MetaReviewPrompt
{
    public const string System =
        "You are the Meta-review agent of an AI co-scientist. From all reviews and debate outcomes of the research so " +
        "far, identify the critique that recurs across hypotheses (so the next cycle can avoid it), and write a research " +
        "overview for a scientist: the most promising directions, why the top hypotheses lead, and concrete next steps " +
        "and experiments. Be specific and refer to hypotheses by their ids.";

    public static string User(string goal, IReadOnlyList<Hypothesis> ranked, IReadOnlyList<Match> recentMatches) =>
        $"""
        Research goal:
        {goal}

        Hypotheses ranked by Elo, with their reviews:
        {string.Join("\n\n", ranked.Select(h => $"[{h.Id}] Elo {h.Elo:F0} ({h.Wins}W/{h.Losses}L) {h.Title}\n{h.Statement}" +
            (h.Review is { } r ? $"\nReview: novelty {r.Novelty.Score}, feasibility {r.Feasibility.Score}, correctness {r.Correctness.Score}. {r.Critique}" : "")))}

        Judges' reasons in recent matches:
        {(recentMatches.Count == 0 ? "(none)" : string.Join("\n", recentMatches.Select(m => $"- {m.WinnerId} beat {m.LoserId}: {m.Rationale}")))}
        """;

    public static readonly JsonSchemaSpec Schema = new("meta_review", Object(
        ("recurring_critique", Array("Critique patterns that recur across reviews", String("One pattern"))),
        ("research_overview", String("A synthesis of the research so far for a scientist")),
        ("top_hypotheses", Array("Ids of the most promising hypotheses", String("A hypothesis id such as H001"))),
        ("next_steps", Array("What the next cycle should explore or fix", String("One step"))),
        ("suggested_experiments", Array("Concrete experiments to run", String("One experiment")))));
}
