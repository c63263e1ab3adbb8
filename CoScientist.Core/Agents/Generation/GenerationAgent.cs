using System.Text.Json.Nodes;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;

namespace CoScientist.Core.Agents.Generation;

/// <summary>Proposes new hypotheses, aware of the existing ones and of the last meta-review.</summary>
public sealed class GenerationAgent(StructuredLlm llm)
{
    public Task<IReadOnlyList<HypothesisDraft>> GenerateAsync(AgentContext context, int count,
        IReadOnlyList<string> existingTitles, int batch, CancellationToken cancellationToken)
    {
        var request = context.Request(CycleStep.Generation, GenerationPrompt.System,
            GenerationPrompt.User(context.Goal, count, existingTitles, context.FeedbackSection + context.DirectiveSection, batch, context.PapersSection),
            context.Settings.GenerationTemperature, GenerationPrompt.SchemaFor(context.Papers));
        return llm.CallAsync(request, node => Read(node, count), cancellationToken);
    }

    /// <summary>Accepts {"hypotheses":[...]}, a bare array, or a single object; "text" stands for "statement".</summary>
    internal static IReadOnlyList<HypothesisDraft> Read(JsonNode node, int? limit = null)
    {
        var items = node switch
        {
            JsonArray array => array,
            JsonObject obj when JsonRead.Node(obj, "hypotheses", "items", "results") is JsonArray array => array,
            JsonObject obj => new JsonArray(obj.DeepClone()),
            _ => throw new LlmOutputException("expected a list of hypotheses"),
        };
        var drafts = items.OfType<JsonObject>().Select(ReadOne).Where(d => d is not null).Select(d => d!).ToList();
        if (drafts.Count == 0)
            throw new LlmOutputException("no hypothesis had a title and a statement");
        return limit is { } n ? drafts.Take(n).ToList() : drafts;
    }

    internal static HypothesisDraft? ReadOne(JsonObject item)
    {
        var title = JsonRead.Text(item, "title", "name", "hypothesis");
        var statement = JsonRead.Text(item, "statement", "text", "hypothesis", "description");
        if (title is null || statement is null)
            return null;
        return new HypothesisDraft(
            StripLabel(title),
            statement,
            JsonRead.Text(item, "rationale", "justification", "reasoning") ?? "",
            JsonRead.Text(item, "prediction", "testable_prediction", "test", "experiment") ?? "")
        {
            Citations = JsonRead.Numbers(item, "citations", "cited_papers", "papers"),
        };
    }

    /// <summary>Models often prefix titles with "Hypothesis:"; the card says that already.</summary>
    private static string StripLabel(string title) =>
        title.StartsWith("Hypothesis:", StringComparison.OrdinalIgnoreCase) ? title["Hypothesis:".Length..].Trim() : title;
}
