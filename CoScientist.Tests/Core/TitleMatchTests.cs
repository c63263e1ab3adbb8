using CoScientist.Core.Literature;

namespace CoScientist.Tests.Core;

/// <summary>
/// When a title the model wrote counts as the title of a record a source returned. The records are titles from the recorded
/// fixtures (Crossref, arXiv, Europe PMC) and real papers the recorded Gemini answers cite; the other side is how a model
/// might quote them, or a made-up title close to them.
/// </summary>
public class TitleMatchTests
{
    private const string Methylphenidate = "Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of Microglia in the Basal Ganglia of Mice";
    private const string SolarFacades = "Solar PV Installation Potential Assessment on Building Facades Based on Vision and Language Foundation Models";
    private const string Bifacial = "Assessment of East-West (E-W) and South-North (S-N) facing Vertical Bifacial Photovoltaic Modules for Agrivoltaics and Dual-Land Use Applications in India";
    private const string HydrogenSulfide = "Hydrogen Sulfide Treatment Enhanced Paclitaxel's Anticancer Effect on the ID8 Murine Epithelial Ovarian Cancer Cell Line.";
    private const string Cough = "Analysis of Factors Associated with Cough Persistence After Thoracoscopic Lung Cancer Resection in Elderly Lung Cancer Patients and Discussion of Prevention Strategies.";
    private const string Senolytics = "Senolytics improve physical function and increase lifespan in old age";

    /// <summary>The same work, quoted the way models and sources differ.</summary>
    public static TheoryData<string, string> Misquotes() => new()
    {
        { Methylphenidate, "methylphenidate exposure induces dopamine neuron loss & activation of microglia in the basal ganglia of mice." },
        { Methylphenidate, "<i>Methylphenidate</i> Exposure Induces Dopamine Neuron Loss and Activation of Microglia in the Basal Ganglia of Mice" },
        { Methylphenidate, "Methylphenidate exposure induced dopamine neuron loss and activation of microglia in basal ganglia of mice" },
        { "Facade Segmentation for Solar Photovoltaic Suitability", "Façade segmentation for solar photovoltaic suitability." },
        { SolarFacades, "Solar PV installation potential assessment on building facades based on vision-language foundation models" },
        { Bifacial, "Assessment of East-West and South-North Facing Vertical Bifacial Photovoltaic Modules for Agrivoltaics and Dual-Land Use Applications in India" },
        { "From stripe to checkerboard order on the square lattice in the presence of quenched disorder", "From Stripe to Checkerboard Order on the Square Lattice in the Presence of Quenched Disorder" },
        { "Second-hand smoke and bladder cancer risk among nonsmokers: a systematic review and a meta-analysis.", "Secondhand smoke and bladder cancer risk among non-smokers: A systematic review and meta-analysis" },
        { HydrogenSulfide, "Hydrogen sulfide treatment enhances paclitaxel anticancer effects in the ID8 murine epithelial ovarian cancer cell line" },
        { "Communicating Ecology", "Communicating ecology." },
        { "$\\beta$-VAE: Learning Basic Visual Concepts with a Constrained Variational Framework", "β-VAE: Learning Basic Visual Concepts with a Constrained Variational Framework" },
        { "The Hallmarks of Aging", "Hallmarks of aging" },
        // The loosest accepted: one word dropped from a title of seventeen content words (0.91).
        { Cough, "Analysis of factors associated with cough persistence after thoracoscopic lung cancer resection in lung cancer patients and discussion of prevention strategies" },
    };

    /// <summary>Another work, or none: made-up titles that share a real one's words.</summary>
    public static TheoryData<string, string> Fabrications() => new()
    {
        // The closest rejected: two of twelve content words gone, "vision and language" is not "vision" (0.88).
        { SolarFacades, "Solar PV Installation Potential Assessment on Building Facades Based on Vision Foundation Models" },
        { SolarFacades, "Solar PV Installation Potential Assessment on Building Roofs Based on Vision and Language Foundation Models" },
        { HydrogenSulfide, "Hydrogen Sulfide Treatment Enhanced Cisplatin's Anticancer Effect on the ID8 Murine Epithelial Ovarian Cancer Cell Line" },
        { Senolytics, "Senolytics improve physical function and increase lifespan in old age in mice" },
        { Senolytics, "Senolytics improve physical function and extend lifespan in old age" },
        { Methylphenidate, "Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of Microglia in the Basal Ganglia of Rats" },
        { Methylphenidate, "Methylphenidate Exposure Induces Dopamine Neuron Loss in the Basal Ganglia of Mice" },
        { "From stripe to checkerboard order on the square lattice in the presence of quenched disorder", "From stripe to checkerboard order on the triangular lattice in the presence of quenched disorder" },
        { "Mendelian randomization analysis of modifiable risk factors for breast cancer.", "Mendelian randomization analysis of modifiable risk factors for prostate cancer" },
        { "The Clinical Impact of Time-restricted Eating on Cancer: A Systematic Review.", "The clinical impact of time-restricted eating on cancer" },
        { "Highly accurate protein structure prediction with AlphaFold", "Deep learning for protein structure prediction" },
        { "The Hallmarks of Aging", "The Hallmarks of Aging: an update" },
        { "Hallmarks of aging: An expanding universe", "The Hallmarks of Aging" },
        // A notice about a paper is not the paper, however long the title it repeats.
        { "Correction: " + Cough, Cough },
        { "RETRACTED: " + Cough, Cough },
        { "Correction: Spatial organization of B lymphocytes and prognosis prediction in patients with gastric cancer.", "Spatial organization of B lymphocytes and prognosis prediction in patients with gastric cancer" },
        { "Chemical Ecology", "Communicating Ecology" },
        { "Chemical Ecology", "Ecology" },
        { "Facade Segmentation for Solar Photovoltaic Suitability", "Facade Segmentation for Solar Thermal Suitability" },
    };

    [Theory]
    [MemberData(nameof(Misquotes))]
    public void TheSameWorkQuotedDifferently_Matches(string record, string quoted)
    {
        Assert.True(TitleMatch.Matches(quoted, record), $"{TitleMatch.Similarity(quoted, record):0.000} for \"{quoted}\"");
        Assert.Equal(TitleMatch.Similarity(quoted, record), TitleMatch.Similarity(record, quoted), 9);
    }

    [Theory]
    [MemberData(nameof(Fabrications))]
    public void AMadeUpTitleCloseToARealOne_DoesNotMatch(string record, string quoted)
    {
        Assert.False(TitleMatch.Matches(quoted, record), $"{TitleMatch.Similarity(quoted, record):0.000} for \"{quoted}\"");
        Assert.Equal(TitleMatch.Similarity(quoted, record), TitleMatch.Similarity(record, quoted), 9);
    }

    [Fact]
    public void TheThreshold_SitsInTheNarrowGapBetweenTheClosestFabricationAndTheLoosestMisquote()
    {
        // The two tables above pin the threshold from both sides; this keeps them doing so if the measure changes.
        var loosestAccepted = Misquotes().Min(row => TitleMatch.Similarity((string)row[0], (string)row[1]));
        var closestRejected = Fabrications().Max(row => TitleMatch.Similarity((string)row[0], (string)row[1]));

        Assert.InRange(closestRejected, TitleMatch.Threshold - 0.03, TitleMatch.Threshold - 1e-9);
        Assert.InRange(loosestAccepted, TitleMatch.Threshold, TitleMatch.Threshold + 0.03);
    }

    [Theory]
    [InlineData("Deep learning", false)]
    [InlineData("Chemical Ecology", false)]
    [InlineData("Autophagy and aging", false)]
    [InlineData("The Hallmarks of Aging", false)]
    [InlineData("Genome editing with CRISPR-Cas9", true)]
    [InlineData("Spermidine in health and disease", true)]
    public void ShortGenericTitles_AreTooUnspecificToSearchFor(string title, bool specific) =>
        Assert.Equal(specific, TitleMatch.IsSpecific(title));

    [Theory]
    [InlineData("29358625", false)]
    [InlineData("  ", false)]
    [InlineData("10.1038/nature14539", false)]
    [InlineData("Curriculum Learning", true)]
    public void ABareNumber_IsNoTitle(string title, bool hasWords) =>
        Assert.Equal(hasWords, TitleMatch.HasWords(ReferenceIds.RemoveIds(title)));

    [Fact]
    public void Nothing_MatchesNothing()
    {
        Assert.Equal(0, TitleMatch.Similarity("", ""));
        Assert.False(TitleMatch.Matches("<i></i>", "<b> </b>"));
    }
}
