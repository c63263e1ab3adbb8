using Bunit;
using CoScientist.Core.Literature;
using CoScientist.Core.Research;
using CoScientist.Web.Components.Pages.Research;

namespace CoScientist.Tests.Web;

public class LiteraturePanelTests : MudTestContext
{
    [Fact]
    public void EveryPaper_IsListedWithItsNumberLinkAuthorsExcerptAndTheHypothesesCitingIt()
    {
        var snapshot = LiteratureResearch.Build();
        string? opened = null;
        var cut = Render<LiteraturePanel>(p => p.Add(c => c.Snapshot, snapshot).Add(c => c.OnOpen, id => opened = id));

        var papers = cut.Find("[data-testid=papers]").QuerySelectorAll("[data-testid=paper]");
        Assert.Equal(3, papers.Length);
        var first = papers[0];
        var link = first.QuerySelector("a[data-testid=paper-link]")!;
        Assert.Equal("https://arxiv.org/abs/2401.00001", link.GetAttribute("href"));
        Assert.Equal("noopener noreferrer nofollow", link.GetAttribute("rel"));
        Assert.Equal("_blank", link.GetAttribute("target"));
        Assert.Equal("[1] Facade Segmentation for Solar Photovoltaic Suitability", link.TextContent);
        var details = first.QuerySelector("[data-testid=paper-details]")!.TextContent;
        Assert.Contains("Author1 Surname1, Author2 Surname2, Author3 Surname3 et al.", details);
        Assert.DoesNotContain("Author4", details);
        Assert.Contains("2024, Solar Energy", details);
        Assert.Contains("81% similar to the goal", details);
        Assert.Contains("Author2 Surname2 ·", papers[1].QuerySelector("[data-testid=paper-details]")!.TextContent); // two authors: no "et al."
        var excerpt = first.QuerySelector("[data-testid=paper-abstract]")!.TextContent;
        Assert.InRange(excerpt.Length, 200, PaperText.ExcerptChars + 2);
        Assert.EndsWith("…", excerpt);
        Assert.StartsWith("Vertical bifacial modules", excerpt);

        var citing = first.QuerySelectorAll("[data-testid=citing-hypothesis]");
        Assert.Equal(["H001", "H002"], citing.Select(c => c.GetAttribute("data-hypothesis-id")).Order());
        Assert.Contains(citing, c => c.TextContent.Contains("Bifacial facades outperform"));
        Assert.Contains("(in its review)", first.QuerySelector("[data-testid=paper-cited-by]")!.TextContent); // H002 cites it only in its review
        Assert.Contains("(in its review)", papers[2].QuerySelector("[data-testid=paper-cited-by]")!.TextContent);

        cut.FindAll("[data-testid=citing-hypothesis]").First(c => c.GetAttribute("data-hypothesis-id") == "H002").Click();
        Assert.Equal("H002", opened);
    }

    [Fact]
    public void TheLatestSearch_ShowsItsQueriesAndMarksTheSourceThatFailed()
    {
        var cut = Render<LiteraturePanel>(p => p.Add(c => c.Snapshot, LiteratureResearch.Build()));

        var search = cut.Find("[data-testid=literature-searches]");
        Assert.Contains("bifacial facade photovoltaic", search.TextContent);
        Assert.Contains("3 new papers kept", search.TextContent);
        Assert.Equal("false", cut.Find("[data-testid=literature-source][data-source=ArXiv]").GetAttribute("data-failed"));
        var failed = cut.Find("[data-testid=literature-source][data-source=EuropePmc]");
        Assert.Equal("true", failed.GetAttribute("data-failed"));
        Assert.Contains("Europe PMC: unavailable (Europe PMC did not answer within 10 s)", failed.TextContent);
    }

    [Fact]
    public void WithoutPapers_ThePanelSaysWhy()
    {
        var empty = new ResearchSnapshot("A goal", 0, [], [], [], []);
        var off = Render<LiteraturePanel>(p => p.Add(c => c.Snapshot, empty).Add(c => c.Settings, new ResearchSettings { Model = "openai/gpt-4o-mini", LiteraturePapers = 0 }));
        Assert.Contains("Literature search is off", off.Find("[data-testid=no-papers]").TextContent);
        Assert.Empty(off.FindAll("[data-testid=paper]"));

        var report = new CycleReport(1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, CycleOutcome.Completed, [], [])
        {
            Literature = LiteratureResearch.Search(allFailed: true),
        };
        var failed = Render<LiteraturePanel>(p => p.Add(c => c.Snapshot, empty with { Cycle = 1, Reports = [report] }));
        Assert.Contains("found no papers", failed.Find("[data-testid=no-papers]").TextContent);
        Assert.Contains("Literature was unavailable this cycle", failed.Find("[data-testid=literature-outcome]").TextContent);
        Assert.Equal(2, failed.FindAll("[data-testid=literature-source][data-failed=true]").Count);
    }

    [Fact]
    public void HostileLibraryText_IsShownAsTextAndAnUnsafeAddressIsNotALink()
    {
        var hostile = LiteratureResearch.Paper("<img src=x onerror=alert(1)><script>alert(2)</script>[x](javascript:alert(3))", "javascript:alert(4)",
            "<b onmouseover=alert(5)>bold</b> <iframe src=https://evil.example></iframe>");
        var snapshot = LiteratureResearch.Build(hostile);
        var panel = Render<LiteraturePanel>(p => p.Add(c => c.Snapshot, snapshot));
        var card = Render<HypothesisCard>(p => p.Add(c => c.Hypothesis, snapshot.Hypotheses[0]).Add(c => c.Papers, snapshot.Papers));

        const string Active = "img, script, iframe, [onerror], [onmouseover], a[href^='javascript'], a:not([href^='https://'])";
        Assert.Empty(panel.FindAll(Active));
        Assert.Empty(card.FindAll(Active));
        var entry = panel.Find("[data-testid=paper][data-paper-number='1']");
        Assert.Equal("span", entry.QuerySelector("[data-testid=paper-link]")!.TagName.ToLowerInvariant());
        Assert.Contains("<img src=x onerror=alert(1)>", entry.TextContent);
        Assert.Contains("<b onmouseover=alert(5)>", entry.QuerySelector("[data-testid=paper-abstract]")!.TextContent);
        Assert.Contains("<script>alert(2)</script>", card.Find("[data-testid=hypothesis-citations]").TextContent);
    }

    [Fact]
    public void TheWorkspace_HasALiteratureTabShowingThePapers()
    {
        var cut = Render<ResearchWorkspace>(p => p.Add(c => c.Snapshot, LiteratureResearch.Build()));

        cut.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == "Literature").Click();

        Assert.Equal(3, cut.FindAll("[data-testid=papers] [data-testid=paper]").Count);
    }
}

public class HypothesisCardLiteratureTests : MudTestContext
{
    private IRenderedComponent<HypothesisCard> RenderCard(string id = "H001")
    {
        var snapshot = LiteratureResearch.Build();
        return Render<HypothesisCard>(p => p.Add(c => c.Hypothesis, snapshot.Hypotheses.Single(h => h.Id == id)).Add(c => c.Papers, snapshot.Papers));
    }

    [Fact]
    public void Citations_LinkToThePapersTheyNumber()
    {
        var cut = RenderCard();

        var own = cut.Find("[data-testid=hypothesis-citations]").QuerySelectorAll("a[data-testid=paper-citation]");
        Assert.Equal(["[1] Facade Segmentation for Solar Photovoltaic Suitability", "[2] Solar PV Installation Potential on Building Facades"],
            own.Select(a => a.TextContent));
        Assert.Equal(["https://arxiv.org/abs/2401.00001", "https://arxiv.org/abs/2401.00002"], own.Select(a => a.GetAttribute("href")));
        Assert.All(own, a => Assert.Equal("noopener noreferrer nofollow", a.GetAttribute("rel")));
        var byReview = cut.Find("[data-testid=review-citations] a[data-testid=paper-citation]");
        Assert.Equal("https://arxiv.org/abs/2401.00003", byReview.GetAttribute("href"));
    }

    [Fact]
    public void AVerifiedReference_LinksToTheRecordTheLibraryFound_NotToTheModelsLink()
    {
        var cut = RenderCard();

        var verified = cut.Find("[data-testid=reference-verified]");
        var link = verified.QuerySelector("a")!;
        Assert.Equal(LiteratureResearch.RecordUrl, link.GetAttribute("href"));
        Assert.Equal("noopener noreferrer nofollow", link.GetAttribute("rel"));
        Assert.Contains("Activation of Microglia in the Basal Ganglia of Mice", link.TextContent); // the record's title, not the model's
        Assert.Contains("2012, PLoS ONE", verified.TextContent);
        Assert.Contains("verified", verified.TextContent);
        Assert.Empty(cut.FindAll($"a[href^='{LiteratureResearch.ModelUrl}']"));
    }

    [Fact]
    public void UnverifiedReferences_ArePlainTextMarkedAsSuch_EvenWhenTheModelGaveALink()
    {
        var cut = RenderCard();

        var unverified = cut.FindAll("[data-testid=reference-unverified]");
        Assert.Equal(2, unverified.Count);
        Assert.All(unverified, li => Assert.Null(li.QuerySelector("a")));
        Assert.DoesNotContain("example.org", cut.Markup);
        var made = unverified.Single(li => li.TextContent.Contains("A facade study that does not exist"));
        Assert.Contains("(Nature Energy, 2031)", made.TextContent);
        var status = made.QuerySelector("[data-testid=reference-status]")!;
        Assert.Equal("unverified", status.TextContent);
        Assert.Contains("No Crossref or arXiv record has this title.", status.GetAttribute("aria-label"));
        var notChecked = unverified.Single(li => li.TextContent.Contains("A reference nobody checked"));
        Assert.Equal("not checked", notChecked.QuerySelector("[data-testid=reference-status]")!.TextContent);
    }

    [Fact]
    public void TheClosestPriorWork_ShowsSimilarities_AndARestatementIsFlaggedAsLikelyNotNovel()
    {
        var flagged = RenderCard("H001");
        var plain = RenderCard("H002");

        var prior = flagged.Find("[data-testid=closest-prior-work]");
        var items = prior.QuerySelectorAll("[data-testid=prior-work]");
        Assert.Equal(2, items.Length);
        Assert.Contains("[1] Facade Segmentation for Solar Photovoltaic Suitability", items[0].TextContent);
        Assert.Contains("91% similar", items[0].TextContent);
        Assert.Equal("https://arxiv.org/abs/2401.00001", items[0].QuerySelector("a")!.GetAttribute("href"));
        Assert.Contains("64% similar", items[1].TextContent);
        Assert.Contains("paper [1] (91% similar)", flagged.Find("[data-testid=likely-not-novel]").TextContent);

        Assert.Empty(plain.FindAll("[data-testid=likely-not-novel]"));
        Assert.Empty(plain.FindAll("[data-testid=closest-prior-work]"));
    }
}
