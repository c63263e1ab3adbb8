using CoScientist.Core.Research;

namespace CoScientist.Tests.Core;

public class TopThreeSettledTests
{
    private static Hypothesis Rated(string id, double elo, double? margin, bool rejected = false) => new()
    {
        Id = id, Title = id, Statement = "s", Rationale = "r", Prediction = "p", CycleCreated = 1,
        Elo = elo, EloMargin = margin, Rejected = rejected,
    };

    private static ResearchSnapshot Of(params Hypothesis[] hypotheses) => new("goal", 1, hypotheses, [], [], []);

    [Fact]
    public void TopThree_AreSettled_WhenTheirLowerBoundsClearEveryOthersUpperBound()
    {
        var snapshot = Of(Rated("H1", 1400, 40), Rated("H2", 1380, 40), Rated("H3", 1350, 40), Rated("H4", 1250, 50), Rated("H5", 1100, 60));

        Assert.True(snapshot.TopThreeSettled);
    }

    [Fact]
    public void TopThree_AreNotSettled_WhenTheThirdsIntervalOverlapsTheFourths()
    {
        // H3's lower bound 1310 is below H4's upper bound 1320.
        var snapshot = Of(Rated("H1", 1400, 40), Rated("H2", 1380, 40), Rated("H3", 1350, 40), Rated("H4", 1270, 50), Rated("H5", 1100, 60));

        Assert.False(snapshot.TopThreeSettled);
    }

    [Fact]
    public void ARejectedHypothesis_NeitherTakesATopPlaceNorBlocksTheOthers()
    {
        var snapshot = Of(Rated("H0", 1500, 200, rejected: true), Rated("H1", 1400, 40), Rated("H2", 1380, 40), Rated("H3", 1350, 40),
            Rated("H4", 1250, 50), Rated("H5", 1100, 60));

        Assert.True(snapshot.TopThreeSettled);
    }

    [Fact]
    public void FewerThanFourRated_OrAnyStillUnrated_IsNotSettled()
    {
        Assert.False(Of(Rated("H1", 1400, 10), Rated("H2", 1380, 10), Rated("H3", 1350, 10)).TopThreeSettled);
        Assert.False(Of(Rated("H1", 1400, 10), Rated("H2", 1380, 10), Rated("H3", 1350, 10), Rated("H4", 1100, 10), Rated("H5", 1200, null)).TopThreeSettled);
    }
}
