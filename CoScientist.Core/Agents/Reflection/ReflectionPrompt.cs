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
        "references you are confident exist (leave url empty rather than invent one).";

    public static string User(string goal, string hypothesis, string feedback) =>
        $"""
        Research goal:
        {goal}

        Hypothesis to review:
        {hypothesis}{feedback}
        """;

    private static JsonSchemaSpec Build()
    {
        var rating = Object(
            ("level", Enum("Overall level", "HIGH", "MEDIUM", "LOW")),
            ("score", Integer("1 (worst) to 10 (best)", 1, 10)));
        return new JsonSchemaSpec("reflection", Object(
            ("novelty", rating),
            ("feasibility", rating.DeepClone().AsObject()),
            ("correctness", rating.DeepClone().AsObject()),
            ("critique", String("Specific strengths and the weakest assumption")),
            ("references", Array("Relevant published work", Object(
                ("title", String("Title of the work")),
                ("venue", String("Journal or conference and year")),
                ("url", String("A link if known, else empty")))))));
    }

    public static readonly JsonSchemaSpec Schema = Build();
}
