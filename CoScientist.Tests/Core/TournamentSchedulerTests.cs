using CoScientist.Core.Agents.Ranking;

namespace CoScientist.Tests.Core;

public class TournamentSchedulerTests
{
    private static readonly Func<string, string, int> NeverMet = (_, _) => 0;
    private static readonly Func<string, string, bool> NotThisCycle = (_, _) => false;

    private static Contender Rated(int n, double elo, double margin = 150, int played = 3) => new($"H{n:D3}", elo, margin, false, played);
    private static Contender Newcomer(int n) => new($"H{n:D3}", 1200, 392, true, 0);

    [Fact]
    public void ARound_IsNeverWiderThanTheBoundOrTheBudgetLeft_AndNobodyPlaysTwiceInIt()
    {
        var contenders = Enumerable.Range(1, 12).Select(i => Rated(i, 1100 + 15 * i)).ToList();

        var round = TournamentScheduler.NextRound(contenders, width: 4, remaining: 3, NeverMet, NotThisCycle);
        var wide = TournamentScheduler.NextRound(contenders, width: 4, remaining: 9, NeverMet, NotThisCycle);

        Assert.Equal(3, round.Count);
        Assert.Equal(4, wide.Count);
        Assert.Equal(8, wide.SelectMany(m => new[] { m.AId, m.BId }).Distinct().Count());
    }

    [Fact]
    public void NewcomersRatedIntoTheTopThree_PlayFirst_AgainstTheEstablishedLeaders()
    {
        var old = Enumerable.Range(1, 6).Select(i => Rated(i, 1000 + 60 * i)).ToList();
        // Offspring enter at their parents' rating: here above the third leader (1240).
        var offspring = Enumerable.Range(7, 4).Select(i => Newcomer(i) with { Elo = 1300 }).ToList();

        var round = TournamentScheduler.NextRound([.. old, .. offspring], width: 4, remaining: 9, NeverMet, NotThisCycle);

        Assert.Equal(["H007", "H008", "H009", "H010"], round.Select(m => m.AId).Order());
        // The leaders, each once in a round: the top three, then the next.
        Assert.Equal(["H003", "H004", "H005", "H006"], round.Select(m => m.BId).Order());
    }

    [Fact]
    public void FreshNewcomersBelowTheTopThree_MeetEachOther_SparingTheLeadersVerdicts()
    {
        var old = Enumerable.Range(1, 6).Select(i => Rated(i, 1000 + 60 * i)).ToList();
        var fresh = Enumerable.Range(7, 4).Select(Newcomer).ToList(); // at 1200, below the third leader (1240)

        var round = TournamentScheduler.NextRound([.. old, .. fresh], width: 4, remaining: 9, NeverMet, NotThisCycle);
        var newcomerMatches = round.Where(m => m.AId.CompareTo("H007") >= 0 || m.BId.CompareTo("H007") >= 0).ToList();

        Assert.Equal(2, newcomerMatches.Count);
        Assert.All(newcomerMatches, m => Assert.True(m.AId.CompareTo("H007") >= 0 && m.BId.CompareTo("H007") >= 0));
        Assert.Equal(4, round.Count); // the two slots saved go to the close pairs at the top
    }

    [Fact]
    public void InTheFirstCycle_NewcomersMeetEachOther_AndAllPlayWithinTheBudget()
    {
        var contenders = Enumerable.Range(1, 6).Select(Newcomer).ToList();
        var played = new HashSet<string>();
        var remaining = 9;
        while (remaining > 0)
        {
            var current = contenders.Select(c => played.Contains(c.Id) ? c with { IsNew = false, MatchesPlayed = 1 } : c).ToList();
            var round = TournamentScheduler.NextRound(current, 4, remaining, NeverMet, NotThisCycle);
            if (round.Count == 0) break;
            remaining -= round.Count;
            foreach (var m in round) played.UnionWith([m.AId, m.BId]);
        }

        Assert.Equal(0, remaining);
        Assert.Equal(6, played.Count);
    }

    [Fact]
    public void CloseUncertainPairsAtTheTop_GetTheBudget_NotTheTailOrClearMismatches()
    {
        var contenders = new List<Contender>
        {
            Rated(1, 1420), Rated(2, 1400), Rated(3, 1380), Rated(4, 1000), Rated(5, 990), Rated(6, 1150),
        };

        var round = TournamentScheduler.NextRound(contenders, width: 1, remaining: 1, NeverMet, NotThisCycle);

        var pair = new[] { round[0].AId, round[0].BId };
        Assert.All(pair, id => Assert.Contains(id, new[] { "H001", "H002", "H003" }));
    }

    [Fact]
    public void ANearCertainPairThatHasMet_IsNeverPlayedAgain()
    {
        var contenders = new List<Contender> { Rated(1, 1600, 100), Rated(2, 1000, 100) }; // P(H001 wins) ≈ 0.97

        var round = TournamentScheduler.NextRound(contenders, width: 4, remaining: 4, (_, _) => 1, NotThisCycle);

        Assert.Empty(round);
    }

    [Fact]
    public void NearCertainPairs_AreSkippedWhileAnyOtherPairIsLeft()
    {
        var contenders = new List<Contender> { Rated(1, 1700), Rated(2, 1200), Rated(3, 1190), Rated(4, 700) };

        var round = TournamentScheduler.NextRound(contenders, width: 4, remaining: 4, NeverMet, NotThisCycle);

        Assert.All(round, m => Assert.InRange(Math.Abs(Elo(m.AId) - Elo(m.BId)), 0, 382)); // 382 points: P = 0.9
        double Elo(string id) => contenders.Single(c => c.Id == id).Elo;
    }

    [Fact]
    public void PairsThatMetThisCycle_AreNotRematchedWhileOthersRemain()
    {
        var contenders = new List<Contender> { Rated(1, 1400), Rated(2, 1395), Rated(3, 1300) };

        var round = TournamentScheduler.NextRound(contenders, 1, 1, (a, b) => a == "H001" && b == "H002" ? 1 : 0,
            (a, b) => a == "H001" && b == "H002");

        Assert.NotEqual(("H001", "H002"), (round[0].AId, round[0].BId));
    }

    [Fact]
    public void TheDebate_GoesToTheClosestPairAtTheTop()
    {
        var contenders = new List<Contender> { Rated(1, 1500), Rated(2, 1420), Rated(3, 1410), Rated(4, 1100), new("H005", 1200, 392, true, 0) };

        var debate = TournamentScheduler.Debate(contenders);

        Assert.Equal(("H002", "H003", true), (debate!.AId, debate.BId, debate.IsDebate));
    }

    [Fact]
    public void WithNobodyEstablished_ThereIsNoDebate()
    {
        Assert.Null(TournamentScheduler.Debate(Enumerable.Range(1, 3).Select(Newcomer).ToList()));
    }
}
