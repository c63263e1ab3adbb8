using System.Text.Json.Nodes;
using CoScientist.Core.Literature;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;

namespace CoScientist.Core.Agents.Reflection;

/// <summary>Reviews a hypothesis once; the review is kept and never redone in later cycles.</summary>
public sealed class ReflectionAgent(StructuredLlm llm)
{
    public Task<Review> ReviewAsync(AgentContext context, Hypothesis hypothesis, CancellationToken cancellationToken)
    {
        var request = context.Request(CycleStep.Reflection, ReflectionPrompt.System,
            ReflectionPrompt.User(context.Goal, hypothesis.Describe(), context.FeedbackSection, context.PapersSection),
            context.Settings.ReflectionTemperature, ReflectionPrompt.SchemaFor(context.Papers));
        return llm.CallAsync(request, Read, cancellationToken);
    }

    /// <summary>Reads the strict schema, and also the Python original's flat shape (novelty_review: "HIGH", comment).</summary>
    internal static Review Read(JsonNode node)
    {
        if (node is JsonArray { Count: > 0 } array) node = array[0]!;
        var novelty = Rating(node, "novelty", "novelty_review");
        var feasibility = Rating(node, "feasibility", "feasibility_review");
        var correctness = Rating(node, "correctness", "correctness_review");
        var critique = JsonRead.Text(node, "critique", "comment", "comments", "review") ?? "";
        if (novelty is null && feasibility is null && string.IsNullOrEmpty(critique))
            throw new LlmOutputException("no ratings and no critique");
        var unrated = new CriterionRating(RatingLevel.Medium, 5);
        return new Review(novelty ?? unrated, feasibility ?? unrated, correctness ?? unrated, critique, References(node))
        {
            Citations = JsonRead.Numbers(node, "citations", "cited_papers"),
        };
    }

    private static CriterionRating? Rating(JsonNode node, string name, string flatName)
    {
        if (JsonRead.Node(node, name) is JsonObject obj)
        {
            var level = ParseLevel(JsonRead.Text(obj, "level", "rating"));
            var score = JsonRead.Integer(obj, "score");
            if (level is null && score is null) return null;
            var s = Math.Clamp(score ?? DefaultScore(level!.Value), 1, 10);
            return new CriterionRating(level ?? LevelOf(s), s);
        }
        var flat = ParseLevel(JsonRead.Text(node, name, flatName));
        return flat is { } l ? new CriterionRating(l, DefaultScore(l)) : null;
    }

    private static RatingLevel? ParseLevel(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        null => null,
        var t when t.StartsWith("HIGH") => RatingLevel.High,
        var t when t.StartsWith("MED") => RatingLevel.Medium,
        var t when t.StartsWith("LOW") => RatingLevel.Low,
        _ => null,
    };

    private static int DefaultScore(RatingLevel level) => level switch { RatingLevel.High => 8, RatingLevel.Medium => 5, _ => 3 };

    private static RatingLevel LevelOf(int score) => score >= 7 ? RatingLevel.High : score >= 4 ? RatingLevel.Medium : RatingLevel.Low;

    private static IReadOnlyList<Reference> References(JsonNode node)
    {
        if (JsonRead.Node(node, "references", "citations") is not JsonArray refs) return [];
        var list = new List<Reference>();
        foreach (var item in refs)
        {
            switch (item)
            {
                case JsonObject o when JsonRead.Text(o, "title", "name") is { } title:
                    list.Add(new Reference(title, JsonRead.Text(o, "venue", "journal", "source"), SafeUrl(JsonRead.Text(o, "url", "link", "doi")))
                    {
                        // The model's claims, to be checked (Literature/ReferenceVerifier); {"type": "DOI", "id": …} is the Python original's shape.
                        Doi = ReferenceIds.FindDoi(JsonRead.Text(o, "doi")) ?? (IsKind(o, "doi") ? ReferenceIds.FindDoi(JsonRead.Text(o, "id")) : null),
                        ArxivId = ReferenceIds.NormaliseArxivId(JsonRead.Text(o, "arxiv_id", "arxiv"))
                                  ?? (IsKind(o, "arxiv") ? ReferenceIds.NormaliseArxivId(JsonRead.Text(o, "id")) : null),
                    });
                    break;
                case JsonValue v when v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s):
                    list.Add(new Reference(s.Trim(), Url: SafeUrl(s.Trim())));
                    break;
            }
        }
        return list.Take(20).ToList();
    }

    private static bool IsKind(JsonObject reference, string kind) =>
        string.Equals(JsonRead.Text(reference, "type"), kind, StringComparison.OrdinalIgnoreCase);

    /// <summary>Only absolute http(s) links survive; anything else (javascript:, data:) is dropped.</summary>
    internal static string? SafeUrl(string? candidate) =>
        Uri.TryCreate(candidate?.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri.AbsoluteUri
            : null;
}
