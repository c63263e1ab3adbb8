using CoScientist.Core.Models;
using CoScientist.Core.Research;

namespace CoScientist.Core.Cost;

/// <summary>The next cycle's expected and worst-case cost, and the calls it will make.</summary>
public sealed record CycleEstimate(int Calls, decimal ExpectedUsd, decimal WorstUsd);

/// <summary>
/// Predicts a cycle's cost from the same plan the Supervisor follows (calls per step) and typical
/// prompt and answer sizes per call. "Worst case" assumes every answer uses its full max_tokens at
/// the model's dearest price, as the budget's reservations do. Typical answer sizes are calibrated on
/// the recorded Gemini answers in the tests' TestData (about 250 tokens per generated hypothesis,
/// 260 to 370 per review).
/// </summary>
public static class CostEstimator
{
    private const int HypothesesPerGenerationCall = 2;
    private const int HypothesisChars = 900;   // title, statement, rationale, prediction
    private const int ReviewChars = 700;
    private const int FeedbackChars = 1200;

    private sealed record CallKind(int Count, int PromptChars, int TypicalOutputTokens);

    public static CycleEstimate Estimate(ResearchSettings settings, ModelInfo model, int goalChars, int existingHypotheses,
        int unreviewedExisting, bool hasEstablishedLeaders)
    {
        var n = settings.HypothesesPerCycle;
        var evolutions = existingHypotheses + n > 0 ? settings.EvolutionsPerCycle : 0;
        var total = existingHypotheses + n + evolutions;
        var feedback = existingHypotheses > 0 ? FeedbackChars : 0;
        var mainMatches = Math.Max(1, (int)Math.Round(settings.MatchBudgetFactor * n) - evolutions);
        var debateTurns = hasEstablishedLeaders && settings.DebateTurns > 0 ? 2 * settings.DebateTurns : 0;
        var pair = 2 * (HypothesisChars + ReviewChars);

        CallKind[] calls =
        [
            new((n + HypothesesPerGenerationCall - 1) / HypothesesPerGenerationCall, 900 + goalChars + 80 * existingHypotheses + feedback, 500),
            new(n + unreviewedExisting + evolutions, 900 + goalChars + HypothesisChars + feedback, 400),
            new(mainMatches + evolutions, 600 + goalChars + pair, 120),
            new(debateTurns, 600 + goalChars + pair + 800 * settings.DebateTurns, 200),
            new(evolutions, 800 + goalChars + 2 * (HypothesisChars + ReviewChars) + feedback, 300),
            new(1, 800 + goalChars + Math.Min(15, total) * (HypothesisChars + ReviewChars) + 20 * 250, 700),
        ];

        decimal expected = 0, worst = 0;
        var promptPrice = model.PromptPrice ?? 0;
        var completionPrice = model.CompletionPrice ?? 0;
        var worstPrompt = model.WorstPromptPrice ?? promptPrice;
        var worstCompletion = model.WorstCompletionPrice ?? completionPrice;
        foreach (var call in calls.Where(c => c.Count > 0))
        {
            var output = Math.Min(call.TypicalOutputTokens, settings.MaxOutputTokens);
            var fee = model.RequestPrice ?? 0;
            expected += call.Count * (TokenEstimate.Typical(call.PromptChars) * promptPrice + output * completionPrice + fee);
            worst += call.Count * (TokenEstimate.PromptUpperBound(call.PromptChars) * worstPrompt
                                   + settings.MaxOutputTokens * worstCompletion + fee);
        }
        return new CycleEstimate(calls.Sum(c => c.Count), expected, worst);
    }

    public static CycleEstimate Estimate(ResearchSettings settings, ModelInfo model, string goal, ResearchSnapshot? research)
    {
        var existing = research?.Hypotheses ?? [];
        var leaders = existing.Count(h => h.MatchesPlayed > 0) >= 2;
        return Estimate(settings, model, goal.Length, existing.Count, existing.Count(h => h.Review is null), leaders);
    }
}
