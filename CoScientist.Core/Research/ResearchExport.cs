using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CoScientist.Core.Research;

/// <summary>The session as a Markdown report for people and as JSON with everything (match transcripts included).</summary>
public static class ResearchExport
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string ToJson(ResearchSnapshot research, ResearchSettings? settings) => JsonSerializer.Serialize(new
    {
        exported_at = DateTimeOffset.UtcNow,
        goal = research.Goal,
        cycles = research.Cycle,
        settings,
        // Embeddings are 384 numbers each: useful to nobody reading the export.
        hypotheses = research.Ranked.Select(h => h with { Embedding = null }),
        matches = research.Matches,
        meta_reviews = research.MetaReviews,
        cycle_reports = research.Reports,
        total_cost_usd = research.Reports.Sum(r => r.CostUsd),
    }, Json);

    public static string ToMarkdown(ResearchSnapshot research, ResearchSettings? settings)
    {
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine("# CoScientist research report").AppendLine();
        md.AppendLine($"**Goal:** {Escape(research.Goal)}").AppendLine();
        md.AppendLine($"Cycles: {research.Cycle} · hypotheses: {research.Hypotheses.Count} · matches: {research.Matches.Count} · " +
                      $"cost: ${research.Reports.Sum(r => r.CostUsd).ToString("0.0000", inv)} · exported {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC").AppendLine();
        if (settings is not null)
            md.AppendLine($"Settings: model `{settings.Model}`, {settings.HypothesesPerCycle} hypotheses per cycle, Elo K {settings.EloKFactor.ToString(inv)}, " +
                          $"top-k {settings.TopK}, temperatures generation {settings.GenerationTemperature.ToString(inv)} / reflection {settings.ReflectionTemperature.ToString(inv)}.").AppendLine();

        if (research.LatestMetaReview is { } meta)
        {
            md.AppendLine("## Research overview").AppendLine().AppendLine(meta.ResearchOverview).AppendLine();
            List("Recurring critique", meta.RecurringCritique);
            List("Suggested next steps", meta.NextSteps);
            List("Suggested experiments", meta.SuggestedExperiments);
        }

        md.AppendLine("## Hypotheses ranked by Elo").AppendLine();
        foreach (var (h, rank) in research.Ranked.Select((h, i) => (h, i + 1)))
        {
            md.AppendLine($"### {rank}. {Escape(h.Title)} ({h.Id})").AppendLine();
            md.AppendLine($"Elo {h.Elo.ToString("0", inv)} ({h.Wins} wins, {h.Losses} losses) · cycle {h.CycleCreated}" +
                          (h.Origin == HypothesisOrigin.Evolved ? $" · evolved by {h.Strategy} from {string.Join(", ", h.ParentIds)}" : "") +
                          (h.IsNearDuplicate ? $" · near-duplicate of {h.DuplicateOfId}" : "")).AppendLine();
            md.AppendLine(h.Statement).AppendLine();
            if (h.Rationale.Length > 0) md.AppendLine($"**Rationale:** {h.Rationale}").AppendLine();
            if (h.Prediction.Length > 0) md.AppendLine($"**Testable prediction:** {h.Prediction}").AppendLine();
            if (h.Review is { } r)
            {
                md.AppendLine($"**Review:** novelty {r.Novelty.Level} ({r.Novelty.Score}/10), feasibility {r.Feasibility.Level} ({r.Feasibility.Score}/10), " +
                              $"correctness {r.Correctness.Level} ({r.Correctness.Score}/10). {r.Critique}").AppendLine();
                foreach (var reference in r.References)
                    md.AppendLine($"- {Escape(reference.Title)}{(reference.Venue is { } v ? $", {Escape(v)}" : "")}{(reference.Url is { } u ? $" <{u}>" : "")}");
                if (r.References.Count > 0) md.AppendLine();
            }
        }

        md.AppendLine("## Costs").AppendLine();
        md.AppendLine("| cycle | outcome | LLM calls | tokens in / out | cost (USD) |").AppendLine("|---|---|---|---|---|");
        foreach (var report in research.Reports)
            md.AppendLine($"| {report.Cycle} | {report.Outcome} | {report.LlmCalls} | {report.InputTokens} / {report.OutputTokens} | {report.CostUsd.ToString("0.0000", inv)} |");
        return md.ToString();

        void List(string title, IReadOnlyList<string> items)
        {
            if (items.Count == 0) return;
            md.AppendLine($"**{title}:**").AppendLine();
            foreach (var item in items) md.AppendLine($"- {item}");
            md.AppendLine();
        }
    }

    /// <summary>Titles go into headings and lists: keep a model's markup from restructuring the report.</summary>
    private static string Escape(string text) => text.Replace("\r", " ").Replace("\n", " ").Replace("<", "&lt;").Replace(">", "&gt;");
}
