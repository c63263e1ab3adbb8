using CoScientist.Core.Agents.Ranking;
using CoScientist.Core.Research;

namespace CoScientist.Tests.Core;

public class EloTests
{
    [Fact]
    public void EqualRatings_MoveByHalfTheKFactor()
    {
        var (winner, loser) = EloRating.Update(1200, 1200, 32);
        Assert.Equal(1216, winner, 6);
        Assert.Equal(1184, loser, 6);
    }

    [Fact]
    public void AnUpset_MovesRatingsMoreThanAnExpectedWin()
    {
        var (favouriteWins, _) = EloRating.Update(1400, 1200, 32);
        var (underdogWins, _) = EloRating.Update(1200, 1400, 32);
        Assert.True(underdogWins - 1200 > favouriteWins - 1400);
        Assert.Equal(32 * (1 - 1 / (1 + Math.Pow(10, -0.5))), favouriteWins - 1400, 6);
    }

    [Fact]
    public void RatingPoints_AreConserved() // what the winner gains the loser loses
    {
        var (w, l) = EloRating.Update(1310, 1175, 24);
        Assert.Equal(1310 + 1175, w + l, 9);
    }

    [Fact]
    public void RecordingAMatch_UpdatesBothHypothesesAndKeepsTheTranscript()
    {
        var state = new ResearchState("goal");
        state.StartCycle();
        var a = state.Add(new HypothesisDraft("A", "s", "r", "p"));
        var b = state.Add(new HypothesisDraft("B", "s", "r", "p"));

        var match = state.RecordMatch(a.Id, b.Id, b.Id, "B is testable", true, [new DebateTurn("Judge", "B is testable")], 32);

        Assert.Equal(1184, state.Get(a.Id).Elo, 6);
        Assert.Equal(1216, state.Get(b.Id).Elo, 6);
        Assert.Equal((0, 1), (state.Get(a.Id).Wins, state.Get(a.Id).Losses));
        Assert.Equal(a.Id, match.LoserId);
        Assert.Single(state.Snapshot().Matches[0].Transcript);
    }
}

public class MatchSchedulerTests
{
    private static readonly Func<string, string, double?> NoSimilarity = (_, _) => null;
    private static readonly Func<string, string, int> NeverPlayed = (_, _) => 0;

    [Fact]
    public void TheBudget_IsNeverExceeded_AndIsFarBelowARoundRobin()
    {
        var contenders = Enumerable.Range(1, 12).Select(i => new Contender($"H{i:D3}", 1200, true, 0)).ToList();

        var plan = MatchScheduler.Schedule(contenders, 24, NoSimilarity, NeverPlayed, allowDebate: false);

        Assert.Equal(24, plan.Count);
        Assert.True(plan.Count < 12 * 11 / 2);
    }

    [Fact]
    public void NewHypotheses_AllPlayBeforeAnyOldOnePlaysTwice()
    {
        var old = Enumerable.Range(1, 6).Select(i => new Contender($"H{i:D3}", 1200 + i * 10, false, 3));
        var fresh = Enumerable.Range(7, 4).Select(i => new Contender($"H{i:D3}", 1200, true, 0));

        var plan = MatchScheduler.Schedule(old.Concat(fresh).ToList(), 4, NoSimilarity, NeverPlayed, allowDebate: false);

        var players = plan.SelectMany(m => new[] { m.AId, m.BId }).ToHashSet();
        Assert.All(new[] { "H007", "H008", "H009", "H010" }, id => Assert.Contains(id, players));
    }

    [Fact]
    public void CloseRatings_ArePreferredOverMismatches()
    {
        var contenders = new List<Contender> { new("H001", 1400, false, 5), new("H002", 1390, false, 5), new("H003", 1000, false, 5) };

        var plan = MatchScheduler.Schedule(contenders, 1, NoSimilarity, NeverPlayed, allowDebate: false);

        Assert.Equal(("H001", "H002"), (plan[0].AId, plan[0].BId));
    }

    [Fact]
    public void SimilarPairs_ArePreferredAtEqualRatings()
    {
        var contenders = Enumerable.Range(1, 4).Select(i => new Contender($"H{i:D3}", 1200, false, 2)).ToList();
        double? Similar(string a, string b) => (a, b) is ("H002", "H004") or ("H004", "H002") ? 0.8 : 0.1;

        var plan = MatchScheduler.Schedule(contenders, 1, Similar, NeverPlayed, allowDebate: false);

        Assert.Equal(("H002", "H004"), (plan[0].AId, plan[0].BId));
    }

    [Fact]
    public void PairsThatAlreadyPlayed_AreNotRepeatedWhileOthersRemain()
    {
        var contenders = Enumerable.Range(1, 4).Select(i => new Contender($"H{i:D3}", 1200, false, 1)).ToList();

        var plan = MatchScheduler.Schedule(contenders, 6, NoSimilarity, NeverPlayed, allowDebate: false);

        Assert.Equal(6, plan.Select(m => (m.AId, m.BId)).Distinct().Count());
    }

    [Fact]
    public void TheTopTwoEstablishedHypotheses_GetADebate()
    {
        var contenders = new List<Contender> { new("H001", 1300, false, 4), new("H002", 1250, false, 4), new("H003", 1100, false, 4), new("H004", 1200, true, 0) };

        var plan = MatchScheduler.Schedule(contenders, 4, NoSimilarity, NeverPlayed, allowDebate: true);

        var debate = Assert.Single(plan, m => m.IsDebate);
        Assert.Equal(("H001", "H002"), (debate.AId, debate.BId));
    }

    [Fact]
    public void InTheFirstCycle_NobodyIsEstablishedSoThereIsNoDebate()
    {
        var contenders = Enumerable.Range(1, 3).Select(i => new Contender($"H{i:D3}", 1200, true, 0)).ToList();

        var plan = MatchScheduler.Schedule(contenders, 6, NoSimilarity, NeverPlayed, allowDebate: true);

        Assert.DoesNotContain(plan, m => m.IsDebate);
    }
}
