using CoScientist.Core.Research;

namespace CoScientist.Tests.Core;

/// <summary>Ratings fitted over every verdict at once (Bradley-Terry with a weak prior), shown on the Elo scale with a 95% interval.</summary>
public class RatingTests
{
    private static IReadOnlyDictionary<string, FittedRating> Fit(string[] ids, params (string W, string L)[] verdicts) =>
        BradleyTerry.Fit(ids, verdicts.Select(v => new Comparison(v.W, v.L)));

    [Fact]
    public void EqualRecords_GiveEqualRatingsAtTheStart()
    {
        var split = Fit(["H001", "H002"], ("H001", "H002"), ("H002", "H001"));
        var cycle = Fit(["H001", "H002", "H003"], ("H001", "H002"), ("H002", "H003"), ("H003", "H001"));

        Assert.All(split.Values.Concat(cycle.Values), r => Assert.Equal(1200, r.Elo, 6));
        Assert.Equal(split["H001"].Margin, split["H002"].Margin, 9);
    }

    [Fact]
    public void AHypothesisThatBeatsEveryone_IsRatedFirst_AndTheOnesItBeatSymmetricallyBelow()
    {
        var r = Fit(["H001", "H002", "H003"], ("H001", "H002"), ("H001", "H003"), ("H001", "H002"), ("H001", "H003"));

        Assert.True(r["H001"].Elo > 1300, $"{r["H001"].Elo}");
        Assert.Equal(r["H002"].Elo, r["H003"].Elo, 6);
        Assert.Equal(3 * 1200, r.Values.Sum(x => x.Elo), 6); // the prior centres the research on 1200
    }

    [Fact]
    public void DisconnectedGroups_AreRatedAlike_AndStayFinite()
    {
        var r = Fit(["H001", "H002", "H003", "H004"], ("H001", "H002"), ("H003", "H004"));

        Assert.Equal(r["H001"].Elo, r["H003"].Elo, 6);
        Assert.Equal(r["H002"].Elo, r["H004"].Elo, 6);
        Assert.True(r["H001"].Elo > 1200 && r["H002"].Elo < 1200);
        Assert.All(r.Values, x => Assert.True(double.IsFinite(x.Elo) && double.IsFinite(x.Margin)));
    }

    [Fact]
    public void AHypothesisWithNoMatches_StaysAt1200WithTheWidestInterval()
    {
        var r = Fit(["H001", "H002", "H003"], ("H001", "H002"), ("H001", "H002"));

        Assert.Equal(1200, r["H003"].Elo, 6);
        Assert.InRange(r["H003"].Margin, 0.7 * BradleyTerry.Z95 * BradleyTerry.DefaultPriorSd, BradleyTerry.Z95 * BradleyTerry.DefaultPriorSd);
        Assert.True(r["H001"].Margin < r["H003"].Margin);
        Assert.Equal(0, r["H003"].Comparisons);
    }

    [Fact]
    public void MoreVerdicts_NarrowTheInterval()
    {
        var few = Fit(["H001", "H002"], ("H001", "H002"), ("H002", "H001"));
        var many = Fit(["H001", "H002"], Enumerable.Repeat(("H001", "H002"), 10).Concat(Enumerable.Repeat(("H002", "H001"), 10)).ToArray());

        Assert.True(many["H001"].Margin < few["H001"].Margin / 2);
    }

    [Fact]
    public void TheOwnersVotes_CountWithTheWeightChosen_AndNotAtAllAtZero()
    {
        Match[] matches = [new("M001", 1, "H001", "H002", "H001", "", false, [], 1200, 1200, 1200, 1200)];
        Vote[] votes = [new("V001", 1, "H001", "H002", "H002", DateTimeOffset.UnixEpoch), new("V002", 1, "H001", "H002", "H002", DateTimeOffset.UnixEpoch)];
        string[] ids = ["H001", "H002"];

        var ignored = BradleyTerry.Fit(ids, Comparison.From(matches, votes, 0));
        var counted = BradleyTerry.Fit(ids, Comparison.From(matches, votes, 1));
        var heavy = BradleyTerry.Fit(ids, Comparison.From(matches, votes, 3));

        Assert.True(ignored["H001"].Elo > ignored["H002"].Elo);
        Assert.True(counted["H002"].Elo > counted["H001"].Elo);
        Assert.True(heavy["H002"].Elo - heavy["H001"].Elo > counted["H002"].Elo - counted["H001"].Elo);
    }

    [Fact]
    public void TheInterval_HoldsTheTrueRating_About95PercentOfTheTime()
    {
        // True ratings drawn from the prior, verdicts from the Bradley-Terry model: the interval's own assumptions.
        var random = new Random(5);
        int inside = 0, total = 0;
        for (var trial = 0; trial < 300; trial++)
        {
            var ids = Enumerable.Range(1, 8).Select(i => $"H{i:D3}").ToArray();
            var drawn = ids.ToDictionary(id => id, _ => BradleyTerry.DefaultPriorSd * Gaussian(random));
            // Ratings are relative to the research's average, which the fit keeps at 1200.
            var truth = drawn.ToDictionary(d => d.Key, d => 1200 + d.Value - drawn.Values.Average());
            var verdicts = new List<Comparison>();
            for (var m = 0; m < 16; m++)
            {
                var a = ids[random.Next(ids.Length)];
                var b = ids.Where(x => x != a).ElementAt(random.Next(ids.Length - 1));
                verdicts.Add(random.NextDouble() < BradleyTerry.WinProbability(truth[a], truth[b]) ? new(a, b) : new(b, a));
            }
            var fit = BradleyTerry.Fit(ids, verdicts);
            inside += ids.Count(id => fit[id].Lower <= truth[id] && truth[id] <= fit[id].Upper);
            total += ids.Length;
        }

        Assert.InRange((double)inside / total, 0.93, 0.97);
    }

    [Fact]
    public void TheOrderInWhichMatchesFinish_DoesNotChangeTheRatings()
    {
        (string W, string L)[] verdicts = [("H001", "H002"), ("H002", "H003"), ("H001", "H003"), ("H003", "H002")];
        var forward = Play(verdicts);
        var backward = Play(verdicts.Reverse().ToArray());

        Assert.Equal(forward.Hypotheses.Select(h => h.Elo), backward.Hypotheses.Select(h => h.Elo), (x, y) => Math.Abs(x - y) < 1e-6);
    }

    [Fact]
    public void RecordingAMatch_RatesBothWithIntervals_KeepsBeforeAndAfter_AndTheTranscript()
    {
        var state = new ResearchState("goal");
        state.StartCycle();
        var a = state.Add(new HypothesisDraft("A", "s", "r", "p"));
        var b = state.Add(new HypothesisDraft("B", "s", "r", "p"));
        var c = state.Add(new HypothesisDraft("C", "s", "r", "p"));

        var match = state.RecordMatch(a.Id, b.Id, b.Id, "B is testable", true, [new DebateTurn("Judge", "B is testable")], shownFirstId: a.Id);

        var (ra, rb) = (state.Get(a.Id), state.Get(b.Id));
        Assert.True(rb.Elo > 1200 && ra.Elo < 1200);
        Assert.Equal(2400, ra.Elo + rb.Elo, 6);
        Assert.NotNull(ra.EloMargin);
        Assert.Null(state.Get(c.Id).EloMargin); // unrated until it plays
        Assert.Equal((1200.0, 1200.0, ra.Elo, rb.Elo), (match.EloABefore, match.EloBBefore, match.EloAAfter, match.EloBAfter));
        Assert.Equal((0, 1), (ra.Wins, ra.Losses));
        Assert.Equal(a.Id, match.LoserId);
        Assert.Equal(a.Id, state.Snapshot().Matches[0].ShownFirstId);
        Assert.Single(state.Snapshot().Matches[0].Transcript);
    }

    [Fact]
    public void AnEvolvedHypothesis_EntersAtItsParentsRating_AndItsOwnVerdictsStillMoveIt()
    {
        var state = new ResearchState("goal");
        state.StartCycle();
        var strong = state.Add(new HypothesisDraft("Strong", "s", "r", "p"));
        var weak = state.Add(new HypothesisDraft("Weak", "s", "r", "p"));
        for (var i = 0; i < 3; i++) state.RecordMatch(strong.Id, weak.Id, strong.Id, "stronger", false, [], shownFirstId: strong.Id);
        var parentElo = state.Get(strong.Id).Elo;

        var child = state.Add(new HypothesisDraft("Child", "s", "r", "p"), HypothesisOrigin.Evolved, [strong.Id]);
        var fresh = state.Add(new HypothesisDraft("Fresh", "s", "r", "p"));

        Assert.InRange(child.Elo, parentElo - 1, parentElo + 1);
        Assert.Equal(child.Elo, child.EloHistory[0].Elo);
        Assert.Equal(1200, fresh.Elo, 6);
        state.RecordMatch(child.Id, fresh.Id, fresh.Id, "fresh is better", false, [], shownFirstId: child.Id);
        Assert.True(state.Get(child.Id).Elo < child.Elo - 20);
    }

    [Fact]
    public void TopThree_AreSettledOnlyWhenTheirIntervalsClearTheRest()
    {
        var ids = new[] { "H001", "H002", "H003", "H004", "H005" };
        var few = Play([("H001", "H004"), ("H002", "H005"), ("H003", "H004")], ids);
        var many = Play(Enumerable.Range(0, 12).SelectMany(_ => new[] { "H001", "H002", "H003" })
            .SelectMany(top => new[] { (top, "H004"), (top, "H005") }).ToArray(), ids);

        Assert.False(few.TopThreeSettled);
        Assert.True(many.TopThreeSettled);
        Assert.Equal(["H001", "H002", "H003"], many.Ranked.Take(3).Select(h => h.Id).Order());
    }

    private static ResearchSnapshot Play((string W, string L)[] verdicts, string[]? ids = null)
    {
        var state = new ResearchState("goal");
        state.StartCycle();
        foreach (var _ in ids ?? ["H001", "H002", "H003"]) state.Add(new HypothesisDraft("t", "s", "r", "p"));
        foreach (var (w, l) in verdicts) state.RecordMatch(w, l, w, "", false, []);
        return state.Snapshot();
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
