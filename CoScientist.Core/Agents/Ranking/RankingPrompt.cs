using CoScientist.Core.Llm;
using static CoScientist.Core.Llm.JsonSchemaBuilder;

namespace CoScientist.Core.Agents.Ranking;

internal static class RankingPrompt
{
    public const string JudgeSystem =
        "You are the Ranking agent of an AI co-scientist, judging a scientific debate between two hypotheses for the " +
        "same research goal. Compare them on novelty, plausibility given known evidence, testability, and potential " +
        "impact on the goal; weigh their reviews. Decide which is the better hypothesis to pursue and explain the " +
        "deciding reasons in two or three sentences. Judge content, not length or order of presentation.";

    public const string DebaterSystem =
        "You take part in a scientific debate for an AI co-scientist. Argue for your assigned hypothesis against the " +
        "other, honestly: press its real strengths, answer the strongest objection raised so far, and point out the " +
        "other hypothesis's weakest assumption. Be concrete and brief (under 150 words).";

    public static string Pair(string goal, string a, string b) =>
        $"""
        Research goal:
        {goal}

        Hypothesis A:
        {a}

        Hypothesis B:
        {b}
        """;

    public static string Turn(string pair, string side, IEnumerable<(string Speaker, string Text)> transcript) =>
        pair + "\n\nDebate so far:\n" +
        (transcript.Any() ? string.Join("\n\n", transcript.Select(t => $"{t.Speaker}: {t.Text}")) : "(nothing yet)") +
        $"\n\nYou argue for hypothesis {side}. Give your next argument.";

    public static string Verdict(string pair, IEnumerable<(string Speaker, string Text)> transcript) =>
        pair + "\n\nDebate transcript:\n" + string.Join("\n\n", transcript.Select(t => $"{t.Speaker}: {t.Text}")) +
        "\n\nWhich hypothesis won the debate and is the better one to pursue?";

    public static readonly JsonSchemaSpec JudgeSchema = new("match_judgement", Object(
        ("winner", Enum("The better hypothesis", "A", "B")),
        ("rationale", String("The deciding reasons, two or three sentences"))));

    public static readonly JsonSchemaSpec TurnSchema = new("debate_turn", Object(
        ("argument", String("Your argument in this turn"))));
}
