using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using static CoScientist.Core.Llm.JsonSchemaBuilder;

namespace CoScientist.Core.Agents.Evolution;

internal static class EvolutionPrompt
{
    public const string System =
        "You are the Evolution agent of an AI co-scientist. You create one new hypothesis from the best existing ones " +
        "by the strategy you are given. The result must be a genuinely new, self-contained hypothesis (not a summary " +
        "of its parents), keep what made the parents strong, address their reviews' criticism, and stay testable. When " +
        "papers are listed, cite the ones it relies on by number.";

    public static string Instruction(EvolutionStrategy strategy) => strategy switch
    {
        EvolutionStrategy.Combination =>
            "Strategy: combination. Merge the strongest, compatible elements of these hypotheses into one coherent hypothesis whose mechanism is more complete than either alone.",
        EvolutionStrategy.Simplification =>
            "Strategy: simplification. Keep the core idea but cut assumptions and moving parts, so it can be tested with a single clean experiment.",
        EvolutionStrategy.FeasibilityImprovement =>
            "Strategy: feasibility improvement. Keep the idea but change what makes it hard or unsound to test, answering the review's critique with realistic methods, data and resources.",
        EvolutionStrategy.OutOfTheBox =>
            "Strategy: out-of-the-box. Use these hypotheses only as inspiration: propose an unconventional alternative mechanism or framing for the goal that none of them considers.",
        _ => throw new ArgumentOutOfRangeException(nameof(strategy)),
    };

    public static string User(string goal, EvolutionStrategy strategy, IEnumerable<Hypothesis> parents, string feedback, string papers = "") =>
        $"""
        Research goal:
        {goal}

        {Instruction(strategy)}

        Parent hypotheses:
        {string.Join("\n\n", parents.Select(p => $"[{p.Id}, Elo {p.Elo:F0}] {p.Describe()}" +
            (p.Review is { } r ? $"\nReview critique: {r.Critique}" : "")))}{papers}{feedback}
        """;

    public static readonly JsonSchemaSpec Schema = SchemaFor([]);

    public static JsonSchemaSpec SchemaFor(IReadOnlyList<ResearchPaper> papers)
    {
        var fields = new List<(string, System.Text.Json.Nodes.JsonObject)>
        {
            ("title", String("A one-line name for the new hypothesis")),
            ("statement", String("The new hypothesis, stated precisely")),
            ("rationale", String("Why it is plausible and what it improves over its parents")),
            ("prediction", String("A testable prediction")),
        };
        if (papers.Count > 0)
            fields.Add(("citations", PromptPapers.CitationsField(papers, "Numbers of the listed papers the new hypothesis relies on (empty if none)")));
        return new JsonSchemaSpec("evolution", Object([.. fields]));
    }
}
