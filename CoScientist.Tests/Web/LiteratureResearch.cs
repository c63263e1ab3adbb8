using CoScientist.Core.Literature;
using CoScientist.Core.Research;

namespace CoScientist.Tests.Web;

/// <summary>
/// A one-cycle research grounded in the literature: three retrieved papers, hypotheses citing them, a review with
/// closest prior work and one reference of each status, and the cycle's literature search (Europe PMC failed).
/// </summary>
internal static class LiteratureResearch
{
    public const string ModelUrl = "https://example.org/made-up-by-the-model";
    public const string RecordUrl = "https://doi.org/10.1371/journal.pone.0033693";
    public static readonly string LongAbstract = string.Join(' ', Enumerable.Repeat("Vertical bifacial modules on facades harvest diffuse light.", 12));

    public static Paper Paper(string title, string url, string? @abstract = null, int authors = 5) => new(
        LiteratureSource.ArXiv, title, Enumerable.Range(1, authors).Select(i => $"Author{i} Surname{i}").ToList(), 2024, "Solar Energy",
        @abstract ?? LongAbstract, null, "2401.0000" + title.Length % 10, url);

    public static ResearchSnapshot Build(Paper? first = null)
    {
        var state = new ResearchState("Raise the yield of photovoltaic modules on building facades");
        state.StartCycle();
        state.AddPapers([
            new ResearchPaper(0, first ?? Paper("Facade Segmentation for Solar Photovoltaic Suitability", "https://arxiv.org/abs/2401.00001"), 0, 0.81),
            new ResearchPaper(0, Paper("Solar PV Installation Potential on Building Facades", "https://arxiv.org/abs/2401.00002", "Short abstract.", authors: 2), 0, 0.77),
            new ResearchPaper(0, Paper("Vertical Bifacial Photovoltaic Modules for Agrivoltaics", "https://arxiv.org/abs/2401.00003"), 0, 0.52),
        ]);
        var a = state.Add(new HypothesisDraft("Bifacial facades outperform", "Bifacial modules on facades yield more.", "Albedo", "10% more energy") { Citations = [1, 2] });
        var b = state.Add(new HypothesisDraft("Segmentation predicts yield", "Facade segmentation predicts annual yield.", "Shading", "r > 0.8"));
        var review = new Review(new(RatingLevel.Low, 2), new(RatingLevel.High, 8), new(RatingLevel.Medium, 6), "Close to [1].",
        [
            new Reference("Methylphenidate exposure induces dopamine neuron loss", "PLoS ONE, 2012", ModelUrl)
            {
                Status = ReferenceStatus.Verified,
                Record = new Paper(LiteratureSource.Crossref, "Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of Microglia in the Basal Ganglia of Mice",
                    ["Sadasivan S", "Pond BB"], 2012, "PLoS ONE", null, "10.1371/journal.pone.0033693", null, RecordUrl),
            },
            new Reference("A facade study that does not exist", "Nature Energy, 2031", ModelUrl)
            {
                Status = ReferenceStatus.Unverified, Note = "No Crossref or arXiv record has this title.",
            },
            new Reference("A reference nobody checked", null, ModelUrl + "/2"),
        ])
        {
            Citations = [3],
            ClosestPriorWork = [new PriorWork(1, 0.912), new PriorWork(2, 0.64)],
            LikelyNotNovel = true,
        };
        state.Update(a.Id, h => h with { Review = review });
        state.Update(b.Id, h => h with { Review = review with { Citations = [1], References = [], LikelyNotNovel = false, ClosestPriorWork = [] } });
        state.FinishCycle(new CycleReport(1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, CycleOutcome.Completed,
            [new StepReport(CycleStep.Literature, 1, 100, 50, 0.0001m, 0, TimeSpan.FromSeconds(4))], [])
        {
            Literature = Search(),
        });
        return state.Snapshot();
    }

    public static LiteratureReport Search(bool allFailed = false) => new(["bifacial facade photovoltaic", "BIPV yield"],
    [
        allFailed
            ? new LiteratureSourceReport(LiteratureSource.ArXiv, 0, Error: "arXiv answered HTTP 503 Service Unavailable, 3 times.")
            : new LiteratureSourceReport(LiteratureSource.ArXiv, 3),
        new LiteratureSourceReport(LiteratureSource.EuropePmc, 0, Error: "Europe PMC did not answer within 10 s."),
    ], allFailed ? 0 : 3);
}
