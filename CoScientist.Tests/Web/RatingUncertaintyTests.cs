using System.Text.Json;
using Bunit;
using CoScientist.Core.Research;
using CoScientist.Web.Components.Pages.Research;

namespace CoScientist.Tests.Web;

/// <summary>Research whose ratings carry 95% intervals: one where the top three stand clear of the rest, one where they do not.</summary>
internal static class RatedResearch
{
    public static Hypothesis Rated(string id, double elo, double? margin, int wins = 0, int losses = 0) => new()
    {
        Id = id, Title = $"Hypothesis {id}", Statement = "s", Rationale = "r", Prediction = "p", CycleCreated = 1,
        Elo = elo, EloMargin = margin, EloAtCycleStart = elo, Wins = wins, Losses = losses,
    };

    public static ResearchSnapshot Settled() => new("Explain Parkinson's progression", 2,
        [Rated("H001", 1420, 40, 6, 0), Rated("H002", 1390, 45, 5, 1), Rated("H003", 1360, 40, 4, 2), Rated("H004", 1250, 50, 2, 4), Rated("H005", 1100, 60, 0, 6)],
        [], [], []);

    /// <summary>H003's interval (1310–1390) overlaps H004's (1220–1320).</summary>
    public static ResearchSnapshot Uncertain() => Settled() with
    {
        Hypotheses = Settled().Hypotheses.Select(h => h.Id == "H004" ? h with { Elo = 1270 } : h).ToList(),
    };
}

public class RatingUncertaintyTests : MudTestContext
{
    [Fact]
    public void ACard_ShowsTheRatingWithItsMargin_AndTheIntervalForScreenReaders()
    {
        var cut = Render<HypothesisCard>(p => p.Add(c => c.Hypothesis, RatedResearch.Rated("H001", 1287.2, 94.6, 4, 2)));

        Assert.Equal("1287", cut.Find("[data-testid=hypothesis-elo]").TextContent);
        var margin = cut.Find("[data-testid=hypothesis-elo-margin]");
        Assert.Equal("± 95", margin.TextContent);
        Assert.Equal("95% interval: 1193–1382", margin.GetAttribute("aria-label"));
    }

    [Fact]
    public void AnUnratedCard_ShowsNoMargin()
    {
        var cut = Render<HypothesisCard>(p => p.Add(c => c.Hypothesis, RatedResearch.Rated("H001", 1200, null)));

        Assert.Equal("1200", cut.Find("[data-testid=hypothesis-elo]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=hypothesis-elo-margin]"));
    }

    [Fact]
    public void TheRankingTable_ShowsEachRowsMarginAndInterval_AndSortsByIt()
    {
        var snapshot = RatedResearch.Settled() with
        {
            Hypotheses = [.. RatedResearch.Settled().Hypotheses, RatedResearch.Rated("H006", 1200, null)],
        };
        var cut = Render<RankingTable>(p => p.Add(c => c.Snapshot, snapshot));

        var margins = cut.FindAll("[data-testid=ranking-margin]").Select(m => Normalise(m.TextContent)).ToList();
        Assert.Equal(["± 40 (1380–1460)", "± 45 (1345–1435)", "± 40 (1320–1400)", "± 50 (1200–1300)", "–", "± 60 (1040–1160)"], margins);
        Assert.Equal(["1420", "1390", "1360", "1250", "1200", "1100"], cut.FindAll("[data-testid=ranking-elo]").Select(e => e.TextContent));

        cut.FindAll(".mud-table-sort-label").Single(l => l.TextContent.Contains('±')).Click();
        var sorted = cut.FindAll("[data-testid=ranking-margin]").Select(m => Normalise(m.TextContent)).ToList();
        Assert.Equal(["± 40 (1380–1460)", "± 40 (1320–1400)", "± 45 (1345–1435)", "± 50 (1200–1300)", "± 60 (1040–1160)", "–"], sorted);
    }

    [Fact]
    public void TheTopThree_AreMarkedSettled_WhenTheyStandClearOfTheRest()
    {
        var cut = Render<ResearchWorkspace>(p => p.Add(c => c.Snapshot, RatedResearch.Settled()));

        Assert.Equal("Top 3 settled", cut.Find("[data-testid=top-settled]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=ranking-uncertain]"));
    }

    [Fact]
    public void TheRanking_IsCalledUncertain_WhenTheTopThreeOverlapOthers()
    {
        var cut = Render<ResearchWorkspace>(p => p.Add(c => c.Snapshot, RatedResearch.Uncertain()));

        Assert.Contains("Ranking still uncertain: the top three overlap others within their 95% intervals",
            cut.Find("[data-testid=ranking-uncertain]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=top-settled]"));
    }

    [Fact]
    public void TheRankingTab_CarriesTheVerdictToo()
    {
        var cut = Render<ResearchWorkspace>(p => p.Add(c => c.Snapshot, RatedResearch.Settled()));

        cut.FindAll(".mud-tab").Single(t => t.TextContent.Contains("Ranking")).Click();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=ranking-table]")));
        Assert.NotEmpty(cut.FindAll("[data-testid=top-settled]"));
    }

    [Fact]
    public void NoVerdict_IsGiven_BeforeTwoHypothesesAreRated()
    {
        ResearchSnapshot RatedOnly(params string[] ids) => RatedResearch.Settled() with
        {
            Hypotheses = RatedResearch.Settled().Hypotheses.Select(h => ids.Contains(h.Id) ? h : h with { EloMargin = null }).ToList(),
        };
        var one = Render<RankingVerdict>(p => p.Add(c => c.Snapshot, RatedOnly("H001")));
        var two = Render<RankingVerdict>(p => p.Add(c => c.Snapshot, RatedOnly("H001", "H002")));

        Assert.Empty(one.FindAll("[data-testid=top-settled]"));
        Assert.Empty(one.FindAll("[data-testid=ranking-uncertain]"));
        Assert.NotEmpty(two.FindAll("[data-testid=ranking-uncertain]"));
    }

    private static string Normalise(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}

public class RatingExportTests
{
    [Fact]
    public void TheJsonExport_CarriesEachRatingItsIntervalAndMatchRecord()
    {
        using var doc = JsonDocument.Parse(ResearchExport.ToJson(RatedResearch.Settled(), null, DateTimeOffset.UnixEpoch));

        Assert.True(doc.RootElement.GetProperty("top_three_settled").GetBoolean());
        var rating = doc.RootElement.GetProperty("hypotheses").EnumerateArray()
            .Single(h => h.GetProperty("id").GetString() == "H002").GetProperty("rating");
        Assert.Equal(1390, rating.GetProperty("elo").GetDouble());
        Assert.Equal(45, rating.GetProperty("margin_95").GetDouble());
        Assert.Equal(1345, rating.GetProperty("interval_95_low").GetDouble());
        Assert.Equal(1435, rating.GetProperty("interval_95_high").GetDouble());
        Assert.Equal((5, 1, 6), (rating.GetProperty("wins").GetInt32(), rating.GetProperty("losses").GetInt32(), rating.GetProperty("matches_played").GetInt32()));
    }

    [Fact]
    public void TheMarkdownReport_GivesEachRatingWithItsIntervalAndRecord_AndSaysWhetherTheTopIsSettled()
    {
        var settled = ResearchExport.ToMarkdown(RatedResearch.Settled(), null, DateTimeOffset.UnixEpoch);
        var uncertain = ResearchExport.ToMarkdown(RatedResearch.Uncertain(), null, DateTimeOffset.UnixEpoch);

        Assert.Contains("Elo 1390 ± 45 (95% interval 1345–1435), 5 wins, 1 losses", settled);
        var ranking = settled[settled.IndexOf("## Hypotheses ranked by Elo", StringComparison.Ordinal)..];
        Assert.StartsWith("## Hypotheses ranked by Elo\n\n**Top 3 settled:**", ranking.ReplaceLineEndings("\n"));
        Assert.Contains("**Ranking still uncertain: the top three overlap others within their 95% intervals.**", uncertain);
        Assert.DoesNotContain("Top 3 settled", uncertain);
    }
}
