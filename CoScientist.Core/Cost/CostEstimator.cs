using CoScientist.Core.Agents.Supervisor;
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
    private const int HypothesisChars = 900;   // title, statement, rationale, prediction
    private const int ReviewChars = 700;
    private const int FeedbackChars = 1200;
    private const int PaperChars = 560;         // a numbered paper in a grounded prompt: title, year, venue, trimmed abstract

    private sealed record CallKind(int Count, int PromptChars, int TypicalOutputTokens);

    /// <summary>Prices the calls of <paramref name="plan"/>, the plan the Supervisor will run.</summary>
    public static CycleEstimate Estimate(CyclePlan plan, ResearchSettings settings, ModelInfo model, int goalChars, int existingHypotheses, int existingPapers = 0)
    {
        var total = existingHypotheses + plan.NewHypotheses + plan.Evolutions;
        var feedback = existingHypotheses > 0 ? FeedbackChars : 0;
        var pair = 2 * (HypothesisChars + ReviewChars);
        // Papers in grounded prompts: the ones the research has, plus what this cycle may add, up to the prompt's share.
        var papers = plan.LiteratureQueryCalls > 0 || existingPapers > 0
            ? Math.Min(existingPapers + settings.LiteraturePapers, Math.Max(settings.LiteraturePapers, Agents.PromptPapers.Default)) * PaperChars
            : 0;

        CallKind[] calls =
        [
            new(plan.LiteratureQueryCalls, 700 + goalChars + feedback, 80),
            new(plan.GenerationCalls, 900 + goalChars + 80 * existingHypotheses + feedback + papers, 500),
            new(plan.Reviews + plan.OffspringReviews, 900 + goalChars + HypothesisChars + feedback + papers, 400),
            new(plan.MainMatches + plan.OffspringMatches, 600 + goalChars + pair, 120),
            new(plan.DebateTurnCalls, 600 + goalChars + pair + 800 * settings.DebateTurns, 200),
            new(plan.Evolutions, 800 + goalChars + 2 * (HypothesisChars + ReviewChars) + feedback + papers, 300),
            new(plan.MetaReviews, 800 + goalChars + Math.Min(15, total) * (HypothesisChars + ReviewChars) + 20 * 250, 700),
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
        return new CycleEstimate(plan.Calls, expected, worst);
    }

    public static CycleEstimate Estimate(ResearchSettings settings, ModelInfo model, string goal, ResearchSnapshot? research) =>
        Estimate(CyclePlan.For(settings, research), settings, model, goal.Length, research?.Hypotheses.Count ?? 0, research?.Papers.Count ?? 0);
}
