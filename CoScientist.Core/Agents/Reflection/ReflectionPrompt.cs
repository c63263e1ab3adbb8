using CoScientist.Core.Llm;
using static CoScientist.Core.Llm.JsonSchemaBuilder;

namespace CoScientist.Core.Agents.Reflection;

internal static class ReflectionPrompt
{
    public const string System =
        "You are the Reflection agent of an AI co-scientist: a rigorous peer reviewer. Judge one hypothesis for " +
        "novelty (is it new relative to the literature you know?), feasibility (can it be tested with realistic " +
        "resources?) and correctness (is it consistent with established evidence and internally sound?). Give each a " +
        "level and a 1-10 score, write a concise, specific critique naming the weakest assumption, and suggest real " +
        "references you are confident exist (leave url and doi empty rather than invent them). When papers are listed, " +
        "judge novelty against them, cite the relevant ones by number in \"citations\", and keep \"references\" for " +
        "other work; every reference is checked against Crossref and arXiv and marked unverified if not found.";

    public static string User(string goal, string hypothesis, string feedback, string papers = "") =>
        $"""
        Research goal:
        {goal}

        Hypothesis to review:
        {hypothesis}{papers}{feedback}
        """;

    private static JsonSchemaSpec Build(IReadOnlyList<Research.ResearchPaper> papers)
    {
        var rating = Object(
            ("level", Enum("Overall level", "HIGH", "MEDIUM", "LOW")),
            ("score", Integer("1 (worst) to 10 (best)", 1, 10)));
        var fields = new List<(string, System.Text.Json.Nodes.JsonObject)>
        {
            ("novelty", rating),
            ("feasibility", rating.DeepClone().AsObject()),
            ("correctness", rating.DeepClone().AsObject()),
            ("critique", String("Specific strengths and the weakest assumption")),
        };
        if (papers.Count > 0)
            fields.Add(("citations", PromptPapers.CitationsField(papers, "Numbers of the listed papers that support, contradict or anticipate the hypothesis")));
        fields.Add(("references", Array(papers.Count > 0 ? "Other relevant published work, not in the list" : "Relevant published work", Object(
            ("title", String("Title of the work")),
            ("venue", String("Journal or conference and year")),
            ("doi", String("The DOI if known, else empty")),
            ("url", String("A link if known, else empty"))))));
        return new JsonSchemaSpec("reflection", Object([.. fields]));
    }

    public static readonly JsonSchemaSpec Schema = Build([]);

    public static JsonSchemaSpec SchemaFor(IReadOnlyList<Research.ResearchPaper> papers) => papers.Count == 0 ? Schema : Build(papers);
}
