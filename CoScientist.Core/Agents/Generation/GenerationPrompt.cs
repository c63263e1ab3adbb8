using CoScientist.Core.Llm;
using static CoScientist.Core.Llm.JsonSchemaBuilder;

namespace CoScientist.Core.Agents.Generation;

internal static class GenerationPrompt
{
    public const string System =
        "You are the Generation agent of an AI co-scientist. You propose original, specific, testable research " +
        "hypotheses for a research goal. Each hypothesis states a mechanism or relationship precisely, explains why it " +
        "is plausible, and names an observation or experiment whose outcome would support or refute it. Avoid vague " +
        "claims, restatements of the goal, and hypotheses that repeat or merely rephrase existing ones. When papers are " +
        "listed, build on what they report, cite the ones each hypothesis relies on by number, and do not propose what " +
        "a listed paper already shows.";

    public static string User(string goal, int count, IReadOnlyList<string> existingTitles, string feedback, int batch, string papers = "") =>
        $"""
        Research goal:
        {goal}

        Propose {count} new hypotheses.{(batch > 1 ? $" (This is batch {batch}: take a different angle from the obvious first ideas.)" : "")}
        {(existingTitles.Count == 0 ? "There are no hypotheses yet." : "Existing hypotheses (do not repeat or rephrase them):\n" + string.Join("\n", existingTitles.Select(t => "- " + t)))}{papers}{feedback}
        """;

    public static readonly JsonSchemaSpec Schema = SchemaFor([]);

    /// <summary>With papers listed, each hypothesis also names the ones it cites, by number.</summary>
    public static JsonSchemaSpec SchemaFor(IReadOnlyList<Research.ResearchPaper> papers)
    {
        var fields = new List<(string, System.Text.Json.Nodes.JsonObject)>
        {
            ("title", String("A one-line name for the hypothesis")),
            ("statement", String("The hypothesis itself, stated precisely")),
            ("rationale", String("Why it is plausible: mechanism, prior evidence")),
            ("prediction", String("A testable prediction: what observation or experiment would support or refute it")),
        };
        if (papers.Count > 0)
            fields.Add(("citations", PromptPapers.CitationsField(papers, "Numbers of the listed papers this hypothesis relies on (empty if none)")));
        return new JsonSchemaSpec("generation", Object(("hypotheses", Array("The new hypotheses", Object([.. fields])))));
    }
}
