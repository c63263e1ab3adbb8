using System.Text.Json;
using CoScientist.Core.Research;

namespace CoScientist.Tests.Web;

public class LiteratureExportTests
{
    [Fact]
    public void TheJsonExport_CarriesThePapers_AndEachHypothesisCitationsAndCheckedReferences()
    {
        using var doc = JsonDocument.Parse(ResearchExport.ToJson(LiteratureResearch.Build(), null, DateTimeOffset.UnixEpoch));

        var papers = doc.RootElement.GetProperty("papers");
        Assert.Equal(3, papers.GetArrayLength());
        var first = papers[0];
        Assert.Equal(1, first.GetProperty("number").GetInt32());
        Assert.Equal("Facade Segmentation for Solar Photovoltaic Suitability", first.GetProperty("title").GetString());
        Assert.Equal(5, first.GetProperty("authors").GetArrayLength());
        Assert.Equal(2024, first.GetProperty("year").GetInt32());
        Assert.Equal("Solar Energy", first.GetProperty("venue").GetString());
        Assert.Equal("https://arxiv.org/abs/2401.00001", first.GetProperty("url").GetString());
        Assert.StartsWith("Vertical bifacial modules", first.GetProperty("abstract").GetString());
        Assert.False(string.IsNullOrEmpty(first.GetProperty("arxiv_id").GetString()));

        var h1 = doc.RootElement.GetProperty("hypotheses").EnumerateArray().Single(h => h.GetProperty("id").GetString() == "H001");
        Assert.Equal([1, 2], h1.GetProperty("citations").EnumerateArray().Select(c => c.GetInt32()));
        var review = h1.GetProperty("review");
        Assert.Equal([3], review.GetProperty("citations").EnumerateArray().Select(c => c.GetInt32()));
        Assert.True(review.GetProperty("likely_not_novel").GetBoolean());
        Assert.Equal(1, review.GetProperty("closest_prior_work")[0].GetProperty("paper_number").GetInt32());
        var references = review.GetProperty("references");
        Assert.Equal(["Verified", "Unverified", "Unchecked"], references.EnumerateArray().Select(r => r.GetProperty("status").GetString()));
        Assert.Equal(LiteratureResearch.RecordUrl, references[0].GetProperty("record").GetProperty("url").GetString());
        Assert.Equal("No Crossref or arXiv record has this title.", references[1].GetProperty("note").GetString());
    }

    [Fact]
    public void TheMarkdownReport_CitesByNumber_HasABibliography_AndMarksUnverifiedReferences()
    {
        var report = ResearchExport.ToMarkdown(LiteratureResearch.Build(), null, DateTimeOffset.UnixEpoch);

        Assert.Contains("**Cites:** [1], [2]", report);
        Assert.Contains("**The review cites:** [3]", report);
        Assert.Contains("**Likely not novel:** nearly the same as [1] (91% similar)", report);
        Assert.Contains("**Closest prior work:** [1] (91% similar), [2] (64% similar)", report);
        Assert.Contains("- Sadasivan S, Pond BB (2012). Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of Microglia in the Basal Ganglia of Mice. " +
                        "PLoS ONE. DOI 10.1371/journal.pone.0033693. <https://doi.org/10.1371/journal.pone.0033693> (verified in Crossref)", report);
        Assert.Contains("- A facade study that does not exist, Nature Energy, 2031 (unverified: No Crossref or arXiv record has this title.)", report);
        Assert.Contains("- A reference nobody checked (not checked)", report);
        Assert.DoesNotContain(LiteratureResearch.ModelUrl, report);

        var bibliography = report[report.IndexOf("## Bibliography", StringComparison.Ordinal)..report.IndexOf("## Costs", StringComparison.Ordinal)];
        Assert.Contains("- [1] Author1 Surname1, Author2 Surname2, Author3 Surname3 et al. (2024). Facade Segmentation for Solar Photovoltaic Suitability. " +
                        "Solar Energy. <https://arxiv.org/abs/2401.00001>", bibliography);
        Assert.Contains("- [2] Author1 Surname1, Author2 Surname2 (2024). Solar PV Installation Potential on Building Facades.", bibliography);
        Assert.Contains("- [3] ", bibliography);
        Assert.Contains("- Cycle 1: 3 new papers kept. arXiv: 3 papers; Europe PMC: unavailable (Europe PMC did not answer within 10 s). " +
                        "Searched for: bifacial facade photovoltaic; BIPV yield.", report);
    }

    [Fact]
    public void HostileLibraryText_CannotRestructureTheReportOrAddLinks()
    {
        var hostile = LiteratureResearch.Paper("Title\n# Injected <script>alert(1)</script> [x](javascript:alert(2))", "javascript:alert(3)");
        var report = ResearchExport.ToMarkdown(LiteratureResearch.Build(hostile), null, DateTimeOffset.UnixEpoch);

        Assert.DoesNotContain("\n# Injected", report);
        Assert.DoesNotContain("<script>", report);
        Assert.DoesNotContain("[x](javascript", report);
        Assert.DoesNotContain("<javascript", report);
        Assert.Contains(@"\[x\](javascript:alert(2))", report);
    }
}
