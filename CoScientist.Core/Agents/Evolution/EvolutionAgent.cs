using System.Text.Json.Nodes;
using CoScientist.Core.Agents.Generation;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;

namespace CoScientist.Core.Agents.Evolution;

public sealed record EvolutionPlan(EvolutionStrategy Strategy, IReadOnlyList<Hypothesis> Parents);

/// <summary>Creates new hypotheses from the top-ranked ones; parents stay in the pool untouched.</summary>
public sealed class EvolutionAgent(StructuredLlm llm)
{
    private static readonly EvolutionStrategy[] Rotation =
        [EvolutionStrategy.Combination, EvolutionStrategy.FeasibilityImprovement, EvolutionStrategy.OutOfTheBox, EvolutionStrategy.Simplification];

    /// <summary>
    /// Which strategies run on which parents this cycle. Near-duplicates and hypotheses the owner rejected never become
    /// parents; those the owner pinned always do (they lead the pool, so every strategy builds on one, and widen it
    /// beyond top-k when there are more of them). Strategies rotate across cycles so every one gets used even with
    /// fewer evolutions per cycle.
    /// </summary>
    public static IReadOnlyList<EvolutionPlan> Plan(IReadOnlyList<Hypothesis> ranked, int topK, int count, int cycle)
    {
        var pinned = ranked.Where(h => h.Pinned && !h.Rejected).ToList();
        var best = ranked.Where(h => !h.IsNearDuplicate && !h.Rejected && !h.Pinned);
        var top = pinned.Concat(best).Take(Math.Max(Math.Max(1, topK), pinned.Count)).ToList();
        if (top.Count == 0 || count <= 0)
            return [];
        var plans = new List<EvolutionPlan>();
        for (var i = 0; i < count; i++)
        {
            var strategy = Rotation[(i + (cycle - 1) * count) % Rotation.Length];
            IReadOnlyList<Hypothesis> parents = strategy switch
            {
                EvolutionStrategy.Combination when top.Count >= 2 => [top[0], top[1]],
                EvolutionStrategy.Combination => [top[0]],
                EvolutionStrategy.OutOfTheBox => top,
                EvolutionStrategy.Simplification => [top[Math.Min(1, top.Count - 1)]],
                _ => [top[0]],
            };
            plans.Add(new EvolutionPlan(strategy, parents));
        }
        return plans;
    }

    public Task<HypothesisDraft> EvolveAsync(AgentContext context, EvolutionPlan plan, CancellationToken cancellationToken)
    {
        var request = context.Request(CycleStep.Evolution, EvolutionPrompt.System,
            EvolutionPrompt.User(context.Goal, plan.Strategy, plan.Parents, context.FeedbackSection + context.DirectiveSection, context.PapersSection),
            context.Settings.EvolutionTemperature, EvolutionPrompt.SchemaFor(context.Papers));
        return llm.CallAsync(request, Read, cancellationToken);
    }

    private static HypothesisDraft Read(JsonNode node) =>
        node switch
        {
            JsonObject obj when GenerationAgent.ReadOne(obj) is { } draft => draft,
            _ => GenerationAgent.Read(node, 1)[0],
        };
}
