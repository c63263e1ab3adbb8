using CoScientist.Core.Llm;
using static CoScientist.Core.Llm.JsonSchemaBuilder;

namespace CoScientist.Core.Agents.Generation;

internal static class GenerationPrompt
{
    public const string System =
        "You are the Generation agent of an AI co-scientist. You propose original, specific, testable research " +
        "hypotheses for a research goal. Each hypothesis states a mechanism or relationship precisely, explains why it " +
        "is plausible, and names an observation or experiment whose outcome would support or refute it. Avoid vague " +
        "claims, restatements of the goal, and hypotheses that repeat or merely rephrase existing ones.";

    public static string User(string goal, int count, IReadOnlyList<string> existingTitles, string feedback, int batch) =>
        $"""
        Research goal:
        {goal}

        Propose {count} new hypotheses.{(batch > 1 ? $" (This is batch {batch}: take a different angle from the obvious first ideas.)" : "")}
        {(existingTitles.Count == 0 ? "There are no hypotheses yet." : "Existing hypotheses (do not repeat or rephrase them):\n" + string.Join("\n", existingTitles.Select(t => "- " + t)))}{feedback}
        """;

    public static readonly JsonSchemaSpec Schema = new("generation", Object(
        ("hypotheses", Array("The new hypotheses", Object(
            ("title", String("A one-line name for the hypothesis")),
            ("statement", String("The hypothesis itself, stated precisely")),
            ("rationale", String("Why it is plausible: mechanism, prior evidence")),
            ("prediction", String("A testable prediction: what observation or experiment would support or refute it")))))));
}
