using System.Text.Json.Nodes;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;

namespace CoScientist.Core.Agents.Ranking;

/// <summary>The outcome of a match before it is rated: who won, why, and what was said.</summary>
public sealed record MatchVerdict(bool AWins, string Rationale, IReadOnlyList<DebateTurn> Transcript);

/// <summary>Judges pairwise matches: a single judgement, or a multi-turn debate for top contenders.</summary>
public sealed class RankingAgent(StructuredLlm llm)
{
    public async Task<MatchVerdict> JudgeAsync(AgentContext context, Hypothesis a, Hypothesis b, CancellationToken cancellationToken)
    {
        var pair = RankingPrompt.Pair(context.Goal, Describe(a), Describe(b));
        var (aWins, rationale) = await VerdictAsync(context, pair + "\n\nWhich hypothesis is better?", cancellationToken);
        return new MatchVerdict(aWins, rationale, [new DebateTurn("Judge", rationale)]);
    }

    /// <summary>Advocates for A and B alternate for <paramref name="turns"/> rounds; then the judge decides.</summary>
    public async Task<MatchVerdict> DebateAsync(AgentContext context, Hypothesis a, Hypothesis b, int turns, CancellationToken cancellationToken)
    {
        var pair = RankingPrompt.Pair(context.Goal, Describe(a), Describe(b));
        var transcript = new List<DebateTurn>();
        for (var round = 0; round < turns; round++)
        {
            foreach (var side in new[] { "A", "B" })
            {
                var request = context.Request(CycleStep.Ranking, RankingPrompt.DebaterSystem,
                    RankingPrompt.Turn(pair, side, transcript.Select(t => (t.Speaker, t.Text))),
                    context.Settings.RankingTemperature, RankingPrompt.TurnSchema);
                var argument = await llm.CallAsync(request, n => JsonRead.RequiredText(n, "argument", "text", "content"), cancellationToken);
                transcript.Add(new DebateTurn($"Advocate {side}", argument));
            }
        }
        var (aWins, rationale) = await VerdictAsync(context, RankingPrompt.Verdict(pair, transcript.Select(t => (t.Speaker, t.Text))), cancellationToken);
        transcript.Add(new DebateTurn("Judge", rationale));
        return new MatchVerdict(aWins, rationale, transcript);
    }

    private Task<(bool AWins, string Rationale)> VerdictAsync(AgentContext context, string prompt, CancellationToken cancellationToken)
    {
        var request = context.Request(CycleStep.Ranking, RankingPrompt.JudgeSystem, prompt + context.DirectiveSection,
            context.Settings.RankingTemperature, RankingPrompt.JudgeSchema);
        return llm.CallAsync(request, ReadVerdict, cancellationToken);
    }

    internal static (bool AWins, string Rationale) ReadVerdict(JsonNode node)
    {
        var winner = JsonRead.RequiredText(node, "winner", "better", "choice").Trim().Trim('"', '.', ' ').ToUpperInvariant();
        var aWins = winner switch
        {
            "A" or "HYPOTHESIS A" or "1" => true,
            "B" or "HYPOTHESIS B" or "2" => false,
            _ => throw new LlmOutputException($"winner '{winner}' is neither A nor B"),
        };
        return (aWins, JsonRead.Text(node, "rationale", "reason", "explanation") ?? "");
    }

    private static string Describe(Hypothesis h) => h.Review is { } r
        ? $"{h.Describe()}\nReview: novelty {r.Novelty.Score}/10, feasibility {r.Feasibility.Score}/10, correctness {r.Correctness.Score}/10. {r.Critique}"
        : h.Describe();
}
