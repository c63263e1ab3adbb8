using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CoScientist.Core.Literature;

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

    /// <param name="exportedAt">Now, by the caller's TimeProvider.</param>
    public static string ToJson(ResearchSnapshot research, ResearchSettings? settings, DateTimeOffset exportedAt) => JsonSerializer.Serialize(new
    {
        exported_at = exportedAt,
        goal = research.Goal,
        cycles = research.Cycle,
        settings,
        top_three_settled = research.TopThreeSettled,
        hypotheses = research.Ranked.Select(WithRating),
        papers = research.Papers.Select(p => new
        {
            number = p.Number,
            title = p.Paper.Title,
            authors = p.Paper.Authors,
            year = p.Paper.Year,
            venue = p.Paper.Venue,
            doi = p.Paper.Doi,
            arxiv_id = p.Paper.ArxivId,
            url = p.Paper.Url,
            @abstract = p.Paper.Abstract,
            source = p.Paper.Source,
            cycle_found = p.CycleFound,
            similarity_to_goal = p.Similarity,
        }),
        matches = research.Matches,
        votes = research.Votes,
        pending_directive = research.PendingDirective,
        meta_reviews = research.MetaReviews,
        cycle_reports = research.Reports,
        total_cost_usd = research.Reports.Sum(r => r.CostUsd),
    }, Json);

    public static string ToMarkdown(ResearchSnapshot research, ResearchSettings? settings, DateTimeOffset exportedAt)
    {
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine("# CoScientist research report").AppendLine();
        md.AppendLine($"**Goal:** {Escape(research.Goal)}").AppendLine();
        md.AppendLine($"Cycles: {research.Cycle} · hypotheses: {research.Hypotheses.Count} · matches: {research.Matches.Count} · " +
                      $"cost: ${research.Reports.Sum(r => r.CostUsd).ToString("0.0000", inv)} · exported {exportedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC").AppendLine();
        if (settings is not null)
            md.AppendLine($"Settings: model `{settings.Model}`, {settings.HypothesesPerCycle} hypotheses per cycle, " +
                          $"top-k {settings.TopK}, temperatures generation {settings.GenerationTemperature.ToString(inv)} / reflection {settings.ReflectionTemperature.ToString(inv)}.").AppendLine();

        if (research.LatestMetaReview is { } meta)
        {
            md.AppendLine("## Research overview").AppendLine().AppendLine(meta.ResearchOverview).AppendLine();
            List("Recurring critique", meta.RecurringCritique);
            List("Suggested next steps", meta.NextSteps);
            List("Suggested experiments", meta.SuggestedExperiments);
        }

        md.AppendLine("## Hypotheses ranked by Elo").AppendLine();
        if (RatingText.HasVerdict(research))
            md.AppendLine(research.TopThreeSettled
                ? $"**{RatingText.Settled}:** the three highest-rated hypotheses are ahead of all the others beyond their 95% intervals."
                : $"**{RatingText.Uncertain}.**").AppendLine();
        foreach (var (h, rank) in research.Ranked.Select((h, i) => (h, i + 1)))
        {
            md.AppendLine($"### {rank}. {Escape(h.Title)} ({h.Id})").AppendLine();
            md.AppendLine($"{Rating(h)}, {h.Wins} wins, {h.Losses} losses · cycle {h.CycleCreated}" +
                          (h.Origin == HypothesisOrigin.Evolved ? $" · evolved by {h.Strategy} from {string.Join(", ", h.ParentIds)}" : "") +
                          (h.IsNearDuplicate ? $" · near-duplicate of {h.DuplicateOfId}" : "") +
                          (h.Origin == HypothesisOrigin.Scientist ? " · written by the scientist" : "") +
                          (h.Pinned ? " · pinned by the scientist" : "") + (h.Rejected ? " · rejected by the scientist" : "")).AppendLine();
            md.AppendLine(h.Statement).AppendLine();
            if (h.Rationale.Length > 0) md.AppendLine($"**Rationale:** {h.Rationale}").AppendLine();
            if (h.Prediction.Length > 0) md.AppendLine($"**Testable prediction:** {h.Prediction}").AppendLine();
            if (h.Citations.Count > 0) md.AppendLine($"**Cites:** {Numbers(h.Citations)}").AppendLine();
            if (h.Review is { } r)
            {
                md.AppendLine($"**Review:** novelty {r.Novelty.Level} ({r.Novelty.Score}/10), feasibility {r.Feasibility.Level} ({r.Feasibility.Score}/10), " +
                              $"correctness {r.Correctness.Level} ({r.Correctness.Score}/10). {r.Critique}").AppendLine();
                if (r.Citations.Count > 0) md.AppendLine($"**The review cites:** {Numbers(r.Citations)}").AppendLine();
                if (r.LikelyNotNovel && r.ClosestPriorWork.FirstOrDefault() is { } closest)
                    md.AppendLine($"**Likely not novel:** nearly the same as [{closest.PaperNumber}] ({PaperText.Percent(closest.Similarity)} similar), already published.").AppendLine();
                if (r.ClosestPriorWork.Count > 0)
                    md.AppendLine("**Closest prior work:** " + string.Join(", ", r.ClosestPriorWork.Select(p => $"[{p.PaperNumber}] ({PaperText.Percent(p.Similarity)} similar)"))).AppendLine();
                if (r.References.Count > 0) md.AppendLine("**References:**").AppendLine();
                foreach (var reference in r.References)
                    md.AppendLine("- " + Describe(reference));
                if (r.References.Count > 0) md.AppendLine();
            }
        }

        if (research.Papers.Count > 0)
        {
            md.AppendLine("## Bibliography").AppendLine();
            md.AppendLine("Papers retrieved from the literature, numbered as the hypotheses and reviews cite them.").AppendLine();
            foreach (var paper in research.Papers)
                md.AppendLine($"- [{paper.Number}] {Describe(paper.Paper)}");
            md.AppendLine();
        }

        md.AppendLine("## Costs").AppendLine();
        md.AppendLine("| cycle | outcome | LLM calls | tokens in / out | cost (USD) |").AppendLine("|---|---|---|---|---|");
        foreach (var report in research.Reports)
            md.AppendLine($"| {report.Cycle} | {report.Outcome} | {report.LlmCalls} | {report.InputTokens} / {report.OutputTokens} | {report.CostUsd.ToString("0.0000", inv)} |");
        var directed = research.Reports.Where(r => r.Directive is not null).ToList();
        if (directed.Count > 0)
        {
            md.AppendLine().AppendLine("**The scientist's directives:**").AppendLine();
            foreach (var report in directed)
                md.AppendLine($"- Cycle {report.Cycle}: {Escape(report.Directive!)}");
        }
        if (research.Votes.Count > 0)
        {
            var agreement = VoteTrack.Agreement(research);
            md.AppendLine().AppendLine($"**The scientist's votes:** {research.Votes.Count}; on the {agreement.Compared} pair(s) the LLM judge also decided, they agree on {agreement.Agreed}.");
        }
        var searches = research.Reports.Where(r => r.Literature is not null).ToList();
        if (searches.Count > 0)
        {
            md.AppendLine().AppendLine("**Literature searches:**").AppendLine();
            foreach (var report in searches)
                md.AppendLine($"- Cycle {report.Cycle}: {Escape(report.Literature!.Summary())}" +
                              (report.Literature.Queries.Count > 0 ? $" Searched for: {Escape(string.Join("; ", report.Literature.Queries))}." : "") +
                              (report.Literature.QueryNote is { } note ? $" {Escape(note)}" : ""));
        }
        return md.ToString();

        void List(string title, IReadOnlyList<string> items)
        {
            if (items.Count == 0) return;
            md.AppendLine($"**{title}:**").AppendLine();
            foreach (var item in items) md.AppendLine($"- {item}");
            md.AppendLine();
        }
    }

    // Embeddings are 384 numbers each: useful to nobody reading the export. The rating block spells out the interval,
    // which the hypothesis itself carries only as a margin.
    private static JsonNode WithRating(Hypothesis h)
    {
        var node = JsonSerializer.SerializeToNode(h with { Embedding = null }, Json)!.AsObject();
        node["rating"] = JsonSerializer.SerializeToNode(new
        {
            elo = h.Elo,
            margin_95 = h.EloMargin,
            interval_95_low = h.EloMargin is { } low ? h.Elo - low : (double?)null,
            interval_95_high = h.EloMargin is { } high ? h.Elo + high : (double?)null,
            wins = h.Wins,
            losses = h.Losses,
            matches_played = h.MatchesPlayed,
        }, Json);
        return node;
    }

    /// <summary>"Elo 1287 ± 95 (95% interval 1192–1382)"; "Elo 1200 (not rated yet)" before its first match.</summary>
    private static string Rating(Hypothesis h) => RatingText.Margin(h) is { } margin
        ? $"Elo {RatingText.Rating(h)} {margin} (95% interval {RatingText.Interval(h)})"
        : h.MatchesPlayed == 0 ? $"Elo {RatingText.Rating(h)} (not rated yet)" : $"Elo {RatingText.Rating(h)}";

    /// <summary>Titles go into headings and lists: keep a model's or a library's markup from restructuring the report or making links.</summary>
    private static string Escape(string text) =>
        text.Replace("\r", " ").Replace("\n", " ").Replace("<", "&lt;").Replace(">", "&gt;").Replace("[", "\\[").Replace("]", "\\]");

    private static string Numbers(IEnumerable<int> numbers) => string.Join(", ", numbers.Select(n => $"[{n}]"));

    /// <summary>"Lima, Chen et al. (2024). Title. Venue. &lt;url&gt;": a bibliography entry; the address only when it is http(s).</summary>
    private static string Describe(Paper paper)
    {
        var authors = PaperText.Authors(paper.Authors);
        var entry = new StringBuilder();
        if (authors.Length > 0) entry.Append(Escape(authors)).Append(paper.Year is { } y ? $" ({y}). " : ". ");
        else if (paper.Year is { } year) entry.Append($"({year}). ");
        entry.Append(Escape(paper.Title).TrimEnd('.')).Append('.');
        if (!string.IsNullOrWhiteSpace(paper.Venue)) entry.Append(' ').Append(Escape(paper.Venue).TrimEnd('.')).Append('.');
        if (paper.Doi is { Length: > 0 } doi) entry.Append(" DOI ").Append(Escape(doi)).Append('.');
        if (PaperText.LinkTarget(paper.Url) is { } url) entry.Append(" <").Append(url).Append('>');
        return entry.ToString();
    }

    /// <summary>
    /// A reference the model wrote: a verified one as the record a library found, with the record's address; any other as
    /// plain text marked unverified, without the model's own link (a made-up reference must not look like a found one).
    /// </summary>
    private static string Describe(Reference reference)
    {
        if (reference is { Status: ReferenceStatus.Verified, Record: { } record })
            return $"{Describe(record)} (verified in {PaperText.SourceName(record.Source)})";
        var text = Escape(reference.Title) + (string.IsNullOrWhiteSpace(reference.Venue) ? "" : ", " + Escape(reference.Venue));
        return reference.Status == ReferenceStatus.Unchecked ? $"{text} (not checked)"
            : reference.Note is { Length: > 0 } note ? $"{text} (unverified: {Escape(note)})"
            : $"{text} (unverified)";
    }
}
