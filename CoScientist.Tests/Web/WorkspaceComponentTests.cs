using Bunit;
using CoScientist.Core.Research;
using CoScientist.Web.Components.Pages.Research;
using CoScientist.Web.Rendering;
using CoScientist.Tests.Fakes;

namespace CoScientist.Tests.Web;

/// <summary>A small finished research to render: three hypotheses (one evolved), reviews, a debate, a meta-review.</summary>
internal static class SampleResearch
{
    public static ResearchSnapshot Build(string title = "Gut microbes modulate tau")
    {
        var state = new ResearchState("Explain Parkinson's progression");
        state.StartCycle();
        var a = state.Add(new HypothesisDraft(title, "Gut bacteria influence the progression of Parkinson's disease.", "Vagus nerve route", "Antibiotics slow decline"));
        var b = state.Add(new HypothesisDraft("Perovskites degrade in humidity", "Perovskite solar cells degrade quickly under humid conditions.", "Water ingress", "Encapsulation helps"));
        var c = state.Add(new HypothesisDraft("Microbiome-vagus synthesis", "The gut microbiome affects how Parkinson's disease advances via the vagus nerve.", "Combines", "Vagotomy protects"),
            HypothesisOrigin.Evolved, [a.Id, b.Id], EvolutionStrategy.Combination);
        var review = new Review(new(RatingLevel.High, 8), new(RatingLevel.Medium, 6), new(RatingLevel.High, 7), "Sound.",
            [new Reference("A real paper", "Cell, 2013", "https://example.org/paper"), new Reference("A bad link", null, null)]);
        foreach (var h in new[] { a, b, c })
        {
            var embedding = CoreHarness.SharedEmbeddings.Embed(h.Describe());
            state.Update(h.Id, x => x with { Review = review, Embedding = embedding });
        }
        state.RecordMatch(a.Id, b.Id, a.Id, "A is more testable.", false, [new DebateTurn("Judge", "A is more testable.")]);
        state.RecordMatch(a.Id, c.Id, c.Id, "C explains more.", true,
            [new DebateTurn("Advocate A", "A is simpler."), new DebateTurn("Advocate B", "C explains more."), new DebateTurn("Judge", "C explains more.")]);
        state.AddMetaReview(new MetaReview(1, ["Mechanisms are assumed"], "The gut-brain axis **leads**.", [c.Id], ["Test vagotomy cohorts"], ["Mouse model"]));
        state.FinishCycle(new CycleReport(1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, CycleOutcome.Completed,
            [new StepReport(CycleStep.Generation, 2, 100, 200, 0.001m, 0, TimeSpan.FromSeconds(1))], []));
        return state.Snapshot();
    }
}

public class WorkspaceComponentTests : MudTestContext
{
    [Fact]
    public void TheRankingTable_ListsEveryHypothesisInEloOrderAndSortsByColumn()
    {
        var snapshot = SampleResearch.Build();
        var cut = Render<RankingTable>(p => p.Add(c => c.Snapshot, snapshot));

        var titles = cut.FindAll("[data-testid=ranking-title]").Select(t => t.TextContent).ToList();
        Assert.Equal(snapshot.Ranked.Select(h => h.Title), titles);

        cut.FindAll(".mud-table-sort-label").Single(l => l.TextContent.Contains("Hypothesis")).Click();
        var sorted = cut.FindAll("[data-testid=ranking-title]").Select(t => t.TextContent).ToList();
        Assert.Equal(titles.Order(StringComparer.Ordinal), sorted);
    }

    [Fact]
    public void TheTournament_ShowsEveryMatchWithItsWinnerAndFullDebateTranscript()
    {
        var cut = Render<TournamentView>(p => p.Add(c => c.Snapshot, SampleResearch.Build()));

        // Newest first: the debate between H001 and H003 (won by H003), then H001's plain win over H002.
        var matches = cut.FindAll("[data-testid=match]");
        Assert.Equal(2, matches.Count);
        var (debate, plain) = (matches[0], matches[1]);
        Assert.Contains(debate.QuerySelectorAll(".mud-chip"), c => c.TextContent.Trim() == "debate");
        Assert.DoesNotContain(plain.QuerySelectorAll(".mud-chip"), c => c.TextContent.Trim() == "debate");
        Assert.Equal("H003 Microbiome-vagus synthesis", debate.QuerySelector(".winner")!.TextContent);
        Assert.Contains("winner H003", debate.TextContent);
        Assert.Equal("H001 Gut microbes modulate tau", plain.QuerySelector(".winner")!.TextContent);

        foreach (var panel in cut.FindAll(".mud-expand-panel-header")) panel.Click();
        var transcripts = cut.FindAll("[data-testid=match-transcript]");
        Assert.Equal(2, transcripts.Count);
        static string[] Turns(AngleSharp.Dom.IElement transcript) => transcript.QuerySelectorAll(".transcript-turn").Select(turn =>
        {
            var speaker = turn.QuerySelector(".mud-typography-subtitle2")!.TextContent;
            return speaker + ": " + turn.TextContent.Trim()[speaker.Length..].Trim();
        }).ToArray();
        Assert.Equal(["Advocate A: A is simpler.", "Advocate B: C explains more.", "Judge: C explains more."], Turns(transcripts[0]));
        Assert.Equal(["Judge: A is more testable."], Turns(transcripts[1]));
    }

    [Fact]
    public void TheProximityMap_PlacesSimilarHypothesesCloserAndSizesNodesByElo()
    {
        var snapshot = SampleResearch.Build();
        string? opened = null;
        var cut = Render<ProximityGraph>(p => p.Add(c => c.Snapshot, snapshot).Add(c => c.EdgeThreshold, 0.5).Add(c => c.OnOpen, id => opened = id));

        var nodes = cut.FindAll("[data-testid=proximity-node]");
        Assert.Equal(3, nodes.Count);
        (double X, double Y) At(string id)
        {
            var circle = cut.Find($"[data-hypothesis-id={id}] circle");
            return (double.Parse(circle.GetAttribute("cx")!, System.Globalization.CultureInfo.InvariantCulture),
                    double.Parse(circle.GetAttribute("cy")!, System.Globalization.CultureInfo.InvariantCulture));
        }
        double Distance(string a, string b) => Math.Sqrt(Math.Pow(At(a).X - At(b).X, 2) + Math.Pow(At(a).Y - At(b).Y, 2));
        Assert.True(Distance("H001", "H003") < Distance("H001", "H002"), "the two Parkinson's hypotheses should sit closer than the unrelated one");
        Assert.NotEmpty(cut.FindAll("line.proximity-edge"));
        var leader = snapshot.Ranked[0].Id;
        var last = snapshot.Ranked[^1].Id;
        Assert.True(double.Parse(cut.Find($"[data-hypothesis-id={leader}] circle").GetAttribute("r")!, System.Globalization.CultureInfo.InvariantCulture)
                    > double.Parse(cut.Find($"[data-hypothesis-id={last}] circle").GetAttribute("r")!, System.Globalization.CultureInfo.InvariantCulture));

        nodes[1].Click();
        Assert.Equal(nodes[1].GetAttribute("data-hypothesis-id"), opened);
    }

    [Fact]
    public void TheEloHistory_HasALinePerTopHypothesis()
    {
        var snapshot = SampleResearch.Build();
        var cut = Render<EloHistoryChart>(p => p.Add(c => c.Snapshot, snapshot).Add(c => c.Count, 2));
        var top = snapshot.Ranked.Take(2).ToList();

        // One line per top hypothesis, named in rank order; the third is left out.
        Assert.Equal(top.Select(h => h.Id), cut.FindAll(".mud-chart-legend-item").Select(i => i.TextContent.Trim()));
        var series = cut.FindComponent<MudBlazor.MudChart<double>>().Instance.ChartSeries;
        Assert.Equal(top.Select(h => h.Id), series.Select(s => s.Name));
        // Each starts at the initial rating and ends at the rating the hypothesis holds after cycle 1.
        Assert.All(top.Zip(series), pair => Assert.Equal([EloRating.InitialRating, pair.First.Elo], pair.Second.Data.ToList()));
        Assert.All(top, h => Assert.NotEqual(EloRating.InitialRating, h.Elo));
        Assert.Equal(["start", "cycle 1"], cut.FindAll(".mud-charts-xaxis text").Select(t => t.TextContent));
        // Drawn so: both lines leave the same point, and the leader's ends higher (SVG y grows downwards).
        var ends = cut.FindAll("path.mud-chart-line").Select(p => p.GetAttribute("d")!.Split(' ')).ToList();
        Assert.Equal(2, ends.Count);
        Assert.Equal(ends[0][1..3], ends[1][1..3]);
        Assert.True(double.Parse(ends[0][^1], System.Globalization.CultureInfo.InvariantCulture)
                    < double.Parse(ends[1][^1], System.Globalization.CultureInfo.InvariantCulture), "the leader's line ends below the runner-up's");
    }

    [Fact]
    public void ExportButtons_HandTheReportToTheBrowserAsAFile()
    {
        var snapshot = SampleResearch.Build();
        var download = Context.JSInterop.SetupVoid("coscientist.download", _ => true);
        var cut = Render<ExportButtons>(p => p.Add(c => c.Snapshot, snapshot));

        cut.Find("[data-testid=export-markdown]").Click();
        cut.Find("[data-testid=export-json]").Click();

        var calls = download.Invocations.ToList();
        Assert.Equal(2, calls.Count);
        Assert.EndsWith(".md", (string)calls[0].Arguments[0]!);
        Assert.Contains("# CoScientist research report", (string)calls[0].Arguments[2]!);
        Assert.Equal("application/json", calls[1].Arguments[1]);
    }

    [Fact]
    public void MetaReviewMarkdown_IsRenderedButHostileMarkupIsNot()
    {
        var review = new MetaReview(2, ["<script>alert(1)</script>"], "The axis **leads**. <img src=x onerror=alert(1)> [x](javascript:alert(2))", [], [], []);
        var cut = Render<MetaReviewPanel>(p => p.Add(c => c.MetaReview, review));

        Assert.Single(cut.FindAll("strong"));
        Assert.Empty(cut.FindAll("script"));
        Assert.Empty(cut.FindAll("img"));
        Assert.Empty(cut.FindAll("a"));
        Assert.Contains("<script>alert(1)</script>", cut.Find("[data-testid=meta-review]").TextContent);
    }
}

public class SafeMarkdownTests
{
    [Theory]
    [InlineData("<img src=x onerror=alert(1)>")]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("<a href=\"javascript:alert(1)\">x</a>")]
    [InlineData("[click](javascript:alert(1))")]
    [InlineData("[click](JaVaScRiPt:alert(1))")]
    [InlineData("[click](data:text/html;base64,PHNjcmlwdD4=)")]
    [InlineData("![img](javascript:alert(1))")]
    [InlineData("<javascript:alert(1)>")]
    [InlineData("[rel](/admin)")]
    [InlineData("<iframe src=https://evil.example></iframe>")]
    public void HostileMarkdown_ComesOutInert(string hostile)
    {
        var html = SafeMarkdown.ToHtml(hostile);

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<iframe", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=\"javascript", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=\"data", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=\"/", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(@"<[^>]+\son\w+\s*=", html); // no real tag carries an event handler; escaped text may show one
    }

    [Fact]
    public void SafeLinksAndFormatting_Survive()
    {
        var html = SafeMarkdown.ToHtml("**bold** and [paper](https://example.org/p?a=1) and https://example.org/auto");

        Assert.Contains("<strong>bold</strong>", html);
        Assert.Contains("href=\"https://example.org/p?a=1\"", html);
        Assert.Contains("rel=\"noopener noreferrer nofollow\"", html);
        Assert.Contains("href=\"https://example.org/auto\"", html);
    }
}

public class ResearchExportTests
{
    [Fact]
    public void TheMarkdownReport_HasGoalOverviewRankedHypothesesLineageReferencesAndCosts()
    {
        var report = ResearchExport.ToMarkdown(SampleResearch.Build(), null, DateTimeOffset.UnixEpoch);

        Assert.Contains("**Goal:** Explain Parkinson's progression", report);
        Assert.Contains("## Research overview", report);
        Assert.Contains("evolved by Combination from H001, H002", report);
        Assert.Contains("- A real paper, Cell, 2013 (not checked)", report);
        Assert.DoesNotContain("example.org/paper", report); // a model's link is never passed on as if it were a found record
        Assert.Contains("| 1 | Completed |", report);
    }

    [Fact]
    public void TheJsonExport_HoldsEverythingButEmbeddings()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(ResearchExport.ToJson(SampleResearch.Build(), null, DateTimeOffset.UnixEpoch));

        Assert.Equal(3, doc.RootElement.GetProperty("hypotheses").GetArrayLength());
        Assert.Equal(3, doc.RootElement.GetProperty("matches")[1].GetProperty("transcript").GetArrayLength());
        Assert.False(doc.RootElement.GetProperty("hypotheses")[0].TryGetProperty("embedding", out _));
        Assert.Equal("Combination", doc.RootElement.GetProperty("hypotheses").EnumerateArray()
            .Single(h => h.GetProperty("id").GetString() == "H003").GetProperty("strategy").GetString());
    }

    [Fact]
    public void AHostileTitle_CannotRestructureTheReport()
    {
        var report = ResearchExport.ToMarkdown(SampleResearch.Build("x\n# Injected heading <script>"), null, DateTimeOffset.UnixEpoch);
        Assert.DoesNotContain("\n# Injected heading", report);
        Assert.DoesNotContain("<script>", report);
    }
}
