using System.Text.Json.Nodes;
using CoScientist.Core.Agents.Reflection;
using CoScientist.Core.Literature;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Tests.Fakes;

namespace CoScientist.Tests.Core;

/// <summary>DOIs and arXiv ids as models write them: in links, in running text, in fields of their own.</summary>
public class ReferenceIdsTests
{
    [Theory]
    [InlineData("https://doi.org/10.1038/nature14539", "10.1038/nature14539")]
    [InlineData("http://dx.doi.org/10.1016/J.CELL.2013.05.039", "10.1016/j.cell.2013.05.039")]
    [InlineData("doi:10.1371/journal.pone.0033693.", "10.1371/journal.pone.0033693")]
    [InlineData("DOI: 10.1109/CVPR.2019.00435", "10.1109/cvpr.2019.00435")]
    [InlineData("LeCun Y. Deep learning. Nature 2015 (doi 10.1038/nature14539), 436-444", "10.1038/nature14539")]
    [InlineData("https://doi.org/10.1016/S0092-8674(00)81683-9", "10.1016/s0092-8674(00)81683-9")]
    [InlineData("https://link.springer.com/article/10.1007/s11023-020-09548-1", "10.1007/s11023-020-09548-1")]
    [InlineData("https://onlinelibrary.wiley.com/doi/10.1002/ece3.1234/full", "10.1002/ece3.1234")]
    [InlineData("https://doi.org/10.1038%2Fnature14539?utm_source=x", "10.1038/nature14539")]
    [InlineData("https://www.nature.com/articles/nature14539", null)]
    [InlineData("29358625", null)]
    [InlineData("10.1038/", null)]
    [InlineData(null, null)]
    public void Doi_IsFoundInLinksAndText_BareAndLowerCase(string? text, string? doi) =>
        Assert.Equal(doi, ReferenceIds.FindDoi(text));

    [Theory]
    [InlineData("https://arxiv.org/abs/1706.03762v5", "1706.03762")]
    [InlineData("http://export.arxiv.org/pdf/2401.01234", "2401.01234")]
    [InlineData("see arXiv:2106.02721 for details", "2106.02721")]
    [InlineData("arXiv: hep-th/9711200v3", "hep-th/9711200")]
    [InlineData("https://arxiv.org/abs/math.GT/0309136", "math/0309136")]
    [InlineData("https://doi.org/10.48550/arXiv.2303.08774", "2303.08774")]
    [InlineData("Curriculum learning, 1707.04103", null)]
    [InlineData("https://arxiv.org/list/cs.LG/recent", null)]
    [InlineData(null, null)]
    public void ArxivId_IsFoundInLinksAndTaggedText_WithoutItsVersion(string? text, string? id) =>
        Assert.Equal(id, ReferenceIds.FindArxivId(text));

    [Theory]
    [InlineData("1707.04103", "1707.04103")]
    [InlineData("1707.04103v2", "1707.04103")]
    [InlineData(" cond-mat/0603029 ", "cond-mat/0603029")]
    [InlineData("arXiv:1905.06316", "1905.06316")]
    [InlineData("1707.04103,1905.06316", null)]
    [InlineData("Cell Stem Cell", null)]
    [InlineData("all:electron", null)]
    public void ArxivIdField_AcceptsBareIds_AndNothingThatCouldAskForMore(string id, string? normalised) =>
        Assert.Equal(normalised, ReferenceIds.NormaliseArxivId(id));

    [Fact]
    public void RecordedGeminiReviews_KeepTheDoisAndArxivIdsTheModelClaimed_ForTheVerifierToCheck()
    {
        var references = JsonNode.Parse(TestData.Read("llm-outputs-gemini-2025.json"))!.AsArray()
            .Where(item => item!["kind"]!.GetValue<string>() == "reflection")
            .SelectMany(item => ReflectionAgent.Read(JsonRecovery.TryParse(item!["raw"]!.GetValue<string>())!).References)
            .ToList();

        // {"type": "DOI", "id": …}, {"type": "arXiv", "id": …} and {"doi": …}, the shapes the Python original's answers use.
        Assert.Contains(references, r => r.Title == "The Hallmarks of Aging" && r.Doi == "10.1016/j.cell.2013.01.028");
        Assert.Contains(references, r => r.Title == "Curriculum Learning" && r.ArxivId == "1707.04103");
        Assert.Contains(references, r => r.Title == "Autophagy in Aging and Longevity" && r.Doi == "10.1016/j.celrep.2016.01.008");
        Assert.DoesNotContain(references, r => r.Doi is not null && r.ArxivId is not null);
        Assert.All(references, r => Assert.Equal(ReferenceStatus.Unchecked, r.Status));
    }

    [Fact]
    public void RemovingIds_LeavesTheTitleToCompare() =>
        Assert.Equal("Attention is all you need.", ReferenceIds.RemoveIds("Attention is all you need. arXiv:1706.03762 https://arxiv.org/abs/1706.03762"));
}
