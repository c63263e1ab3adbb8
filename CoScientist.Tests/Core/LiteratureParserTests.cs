using System.Text.Json.Nodes;
using CoScientist.Core.Literature;
using CoScientist.Tests.Fakes;

namespace CoScientist.Tests.Core;

/// <summary>The three sources' parsers against answers recorded from the real services.</summary>
public class LiteratureParserTests
{
    [Fact]
    public void ArxivCurrentFeed_GivesEachEntryItsVersionlessIdAndAbsPage()
    {
        var papers = ArxivFeedParser.Parse(TestData.Read("arxiv-query-2026-07.xml"));

        Assert.Equal(["2511.18882", "2510.00797", "2509.26396"], papers.Select(p => p.ArxivId));
        var first = papers[0];
        Assert.Equal("Facade Segmentation for Solar Photovoltaic Suitability", first.Title);
        Assert.Equal("https://arxiv.org/abs/2511.18882", first.Url);
        Assert.Equal(2025, first.Year);
        Assert.NotEmpty(first.Authors);
        Assert.StartsWith("Building integrated photovoltaic (BIPV) facades", first.Abstract);
        Assert.All(papers, p => Assert.DoesNotContain("arXiv Query", p.Title, StringComparison.OrdinalIgnoreCase));
        Assert.All(papers, p => Assert.Equal(LiteratureSource.ArXiv, p.Source));
    }

    [Fact]
    public void ArxivOldFeed_ReadsOldStyleIdsDoiAndJournalAsVenue()
    {
        var paper = Assert.Single(ArxivFeedParser.Parse(TestData.Read("arxiv-query-2016-oldformat.xml")));

        Assert.Equal("cond-mat/0603029", paper.ArxivId);
        Assert.Equal("From stripe to checkerboard order on the square lattice in the presence of quenched disorder", paper.Title);
        Assert.Equal(["Adrian Del Maestro", "Bernd Rosenow", "Subir Sachdev"], paper.Authors);
        Assert.Equal(2006, paper.Year);
        Assert.Equal("10.1103/physrevb.74.024520", paper.Doi);
        Assert.Equal("Phys. Rev. B 74, 024520 (2006)", paper.Venue);
        Assert.Equal("doi:10.1103/physrevb.74.024520", paper.Key);
        Assert.Equal("https://arxiv.org/abs/cond-mat/0603029", paper.Url);
        Assert.DoesNotContain("\n", paper.Abstract);
    }

    [Fact]
    public void ArxivErrorFeed_IsAFormatErrorCarryingArxivsExplanation()
    {
        const string errorFeed = """
            <feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id>
            <title>Error</title><summary>incorrect id format for 1234</summary></entry></feed>
            """;
        var ex = Assert.Throws<LiteratureFormatException>(() => ArxivFeedParser.Parse(errorFeed));
        Assert.Contains("incorrect id format", ex.Message);
    }

    [Theory]
    [InlineData("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>")]
    [InlineData("{\"not\":\"xml\"}")]
    [InlineData("<html><body>Service unavailable</body></html>")]
    public void ArxivGarbage_IsAFormatError(string raw) =>
        Assert.Throws<LiteratureFormatException>(() => ArxivFeedParser.Parse(raw));

    [Fact]
    public void EuropePmc_ReadsAllTwentyFiveResultsWithYearsJournalsAndPlainAbstracts()
    {
        var papers = EuropePmcParser.Parse(TestData.Read("europepmc-search-core-2025.json"));

        Assert.Equal(25, papers.Count);
        Assert.All(papers, p => Assert.Equal(2025, p.Year));
        Assert.All(papers, p => Assert.False(string.IsNullOrWhiteSpace(p.Venue)));
        Assert.Equal(4, papers.Count(p => p.Abstract is null));
        Assert.All(papers.Where(p => p.Abstract is not null), p => Assert.DoesNotMatch("</?[a-z]", p.Abstract!));

        var structured = papers.Single(p => p.Url == "https://europepmc.org/article/MED/40468710");
        Assert.StartsWith("Objective This study investigated", structured.Abstract);
        Assert.Contains("(at p < .001) predicted", structured.Abstract); // a bare "<" in the recorded text is not a tag
        Assert.Equal("10.1111/bjhp.12807", structured.Doi);
        Assert.Equal("Al-Abbadey M", structured.Authors[0]);
        Assert.Equal("British journal of health psychology", structured.Venue);
    }

    [Fact]
    public void EuropePmc_KeepsTheResultWithoutDoiAndTheOneWithoutAuthors()
    {
        var papers = EuropePmcParser.Parse(TestData.Read("europepmc-search-core-2025.json"));

        var withoutDoi = Assert.Single(papers, p => p.Doi is null);
        Assert.Equal("https://europepmc.org/article/MED/39038316", withoutDoi.Url);
        Assert.StartsWith("title:analysisoffactors", withoutDoi.Key);
        Assert.Equal(["Yu L", "Zhang Z", "Wang Z", "Sun F"], withoutDoi.Authors);

        var withoutAuthors = Assert.Single(papers, p => p.Authors.Count == 0);
        Assert.Equal("Department of Error", withoutAuthors.Title);
    }

    [Fact]
    public void EuropePmcWithNoHits_IsAnEmptyList() =>
        Assert.Empty(EuropePmcParser.Parse(TestData.Read("europepmc-search-empty-2025.json")));

    [Theory]
    [InlineData("{\"resultList\": {\"result\": [")]
    [InlineData("<html>Bad gateway</html>")]
    [InlineData("{\"errMsg\": \"Bad query\"}")]
    [InlineData("[1, 2]")]
    public void EuropePmcGarbage_IsAFormatError(string raw) =>
        Assert.Throws<LiteratureFormatException>(() => EuropePmcParser.Parse(raw));

    [Fact]
    public void CrossrefList_TakesTitlesAndVenuesFromArraysAndStripsJats()
    {
        var papers = CrossrefParser.Parse(TestData.Read("crossref-works-query-2026-06.json"));

        Assert.Equal(2, papers.Count);
        var first = papers[0];
        Assert.Equal("Communicating Ecology", first.Title);
        Assert.Equal("Ecology", first.Venue);
        Assert.Equal(2022, first.Year);
        Assert.Equal("10.1093/obo/9780199830060-0238", first.Doi);
        Assert.Equal("https://doi.org/10.1093/obo/9780199830060-0238", first.Url);
        Assert.Empty(first.Authors);
        Assert.StartsWith("Communication is perhaps the most important", first.Abstract);
        Assert.All(papers, p => Assert.DoesNotContain("<", p.Abstract));
        Assert.Equal("André Kessler", papers[1].Authors[0]);
    }

    [Theory]
    [InlineData("[[2019]]", 2019)]
    [InlineData("[[2019, 4]]", 2019)]
    [InlineData("[[2019, 4, 30]]", 2019)]
    [InlineData("[[null]]", null)]
    public void CrossrefDates_GiveTheYearWhateverTheirPrecision(string dateParts, int? year)
    {
        var work = JsonNode.Parse(TestData.Read("crossref-work-2026-06.json"))!;
        var message = work["message"]!.AsObject();
        foreach (var field in new[] { "issued", "published", "published-print", "published-online", "created" }) message.Remove(field);
        message["issued"] = new JsonObject { ["date-parts"] = JsonNode.Parse(dateParts) };

        Assert.Equal(year, Assert.Single(CrossrefParser.ParseWork(work.ToJsonString())).Year);
    }

    [Fact]
    public void CrossrefWork_WithoutOrWithEmptyContainerTitle_HasNoVenue()
    {
        var work = JsonNode.Parse(TestData.Read("crossref-work-2026-06.json"))!;
        work["message"]!.AsObject().Remove("container-title");
        Assert.Null(Assert.Single(CrossrefParser.ParseWork(work.ToJsonString())).Venue);

        work["message"]!["container-title"] = new JsonArray();
        work["message"]!["title"] = new JsonArray("  <i>Mixed</i>   case  title ");
        work["message"]!["DOI"] = "10.1371/JOURNAL.PONE.0033693";
        var paper = Assert.Single(CrossrefParser.ParseWork(work.ToJsonString()));
        Assert.Null(paper.Venue);
        Assert.Equal("Mixed case title", paper.Title);
        Assert.Equal("10.1371/journal.pone.0033693", paper.Doi);
    }

    [Fact]
    public void CrossrefSingleWork_ReadsTitleAuthorsJournalAndYear()
    {
        var paper = Assert.Single(CrossrefParser.ParseWork(TestData.Read("crossref-work-2026-06.json")));

        Assert.Equal("Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of Microglia in the Basal Ganglia of Mice", paper.Title);
        Assert.Equal(["Shankar Sadasivan", "Brooks B. Pond"], paper.Authors.Take(2));
        Assert.Equal("PLoS ONE", paper.Venue);
        Assert.Equal(2012, paper.Year);
        Assert.Equal("10.1371/journal.pone.0033693", paper.Doi);
        Assert.Equal(LiteratureSource.Crossref, paper.Source);
    }

    [Fact]
    public void CrossrefListWhereAWorkWasExpected_IsAFormatError() =>
        Assert.Throws<LiteratureFormatException>(() => CrossrefParser.ParseWork(TestData.Read("crossref-works-query-2026-06.json")));

    [Theory]
    [InlineData("{\"status\":\"ok\",\"message\":")]
    [InlineData("Resource not found.")]
    [InlineData("{\"status\":\"ok\"}")]
    public void CrossrefGarbage_IsAFormatError(string raw)
    {
        Assert.Throws<LiteratureFormatException>(() => CrossrefParser.Parse(raw));
        Assert.Throws<LiteratureFormatException>(() => CrossrefParser.ParseWork(raw));
    }

    [Theory]
    [InlineData("https://doi.org/10.1000/ABC", "10.1000/abc")]
    [InlineData("doi:10.1000/Abc", "10.1000/abc")]
    [InlineData("  ", null)]
    public void Dois_AreBareAndLowerCase(string raw, string? expected) => Assert.Equal(expected, MarkupText.NormaliseDoi(raw));

    [Fact]
    public void PapersWithTheSameTitleInDifferentDress_ShareAKey()
    {
        var a = new Paper(LiteratureSource.ArXiv, "Quantum dots: a review", [], null, null, null, null, null, "https://x");
        var b = a with { Title = "QUANTUM DOTS — A REVIEW." };
        Assert.Equal(a.Key, b.Key);
    }
}
