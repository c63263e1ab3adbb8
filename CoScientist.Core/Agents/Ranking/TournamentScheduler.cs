using CoScientist.Core.Research;

namespace CoScientist.Core.Agents.Ranking;

/// <summary>A hypothesis as the scheduler sees it: its fitted rating and interval, and whether it still has to play.</summary>
public sealed record Contender(string Id, double Elo, double Margin, bool IsNew, int MatchesPlayed)
{
    /// <summary>The rating's standard deviation; an unrated one has the prior's.</summary>
    public double Sd => Margin / BradleyTerry.Z95;

    public static Contender Of(Hypothesis h, bool isNew) =>
        new(h.Id, h.Elo, h.EloMargin ?? BradleyTerry.Z95 * BradleyTerry.DefaultPriorSd, isNew, h.MatchesPlayed);
}

public sealed record ScheduledMatch(string AId, string BId, bool IsDebate);

/// <summary>
/// Picks the next round of matches from the ratings as they stand, so each round's verdicts steer the next: every
/// newcomer plays first, against one of the established leaders if it is already rated among the top three, otherwise
/// against another newcomer; the rest of the budget goes to close, uncertain pairs among the hypotheses that could
/// plausibly be in the top three. A pair whose outcome is near certain (one side above <see cref="NearCertain"/>) is not played while any other pair is left.
/// </summary>
public static class TournamentScheduler
{
    public const double NearCertain = 0.9;
    private const int TopSize = 3;
    private const int Samples = 400;

    /// <summary>
    /// The next round: at most <paramref name="width"/> matches (never more than <paramref name="remaining"/>), no
    /// hypothesis twice in a round. <paramref name="timesPlayed"/> counts the pair's earlier matches;
    /// <paramref name="playedThisCycle"/> whether they already met this cycle (such a rematch is avoided).
    /// </summary>
    public static IReadOnlyList<ScheduledMatch> NextRound(IReadOnlyList<Contender> contenders, int width, int remaining,
        Func<string, string, int> timesPlayed, Func<string, string, bool> playedThisCycle)
    {
        var round = new List<ScheduledMatch>();
        var limit = Math.Min(width, remaining);
        if (contenders.Count < 2 || limit <= 0) return round;
        var busy = new HashSet<string>();
        var topChance = TopChance(contenders);
        var leaders = contenders.Where(c => !c.IsNew && c.MatchesPlayed > 0)
            .OrderByDescending(c => topChance[c.Id]).ThenByDescending(c => c.Elo).ThenBy(c => c.Id, StringComparer.Ordinal).ToList();

        // Newcomers first. One rated into the top three (an offspring starts at its parents' rating) meets a different
        // leader each; the others meet each other: a fresh hypothesis at 1200 is rarely the best, and a win over another
        // newcomer lifts it to where the close pairs at the top pick it up, for half the verdicts.
        var newcomers = contenders.Where(c => c.IsNew && c.MatchesPlayed == 0).OrderBy(c => c.Id, StringComparer.Ordinal).ToList();
        var nextLeader = 0;
        var third = leaders.Count >= TopSize ? leaders.Select(l => l.Elo).OrderDescending().ElementAt(TopSize - 1) : double.NegativeInfinity;
        foreach (var newcomer in newcomers)
        {
            if (round.Count >= limit) break;
            if (busy.Contains(newcomer.Id)) continue;
            var contends = newcomer.Elo >= third;
            var opponent = leaders.Count > 0 && contends
                ? leaders.Skip(nextLeader).Concat(leaders.Take(nextLeader)).FirstOrDefault(l => !busy.Contains(l.Id))
                : newcomers.FirstOrDefault(o => o.Id != newcomer.Id && !busy.Contains(o.Id));
            if (leaders.Count > 0 && contends) nextLeader = (nextLeader + 1) % Math.Min(leaders.Count, TopSize);
            opponent ??= contenders.Where(o => o.Id != newcomer.Id && !busy.Contains(o.Id)).OrderByDescending(o => topChance[o.Id]).FirstOrDefault();
            if (opponent is null) break;
            Add(newcomer, opponent, debate: false);
        }

        while (round.Count < limit)
        {
            // A near-certain pair only ever fills an otherwise empty round (so the budget is still spent).
            var best = BestPair(contenders, topChance, busy, timesPlayed, playedThisCycle, allowNearCertain: round.Count == 0);
            if (best is null) break;
            Add(best.Value.A, best.Value.B, debate: false);
        }
        return round;

        void Add(Contender a, Contender b, bool debate)
        {
            round.Add(new ScheduledMatch(a.Id, b.Id, debate));
            busy.Add(a.Id);
            busy.Add(b.Id);
        }
    }

    /// <summary>The debate's pair: the closest pair among the established hypotheses most likely to be in the top three.</summary>
    public static ScheduledMatch? Debate(IReadOnlyList<Contender> contenders)
    {
        var established = contenders.Where(c => c.MatchesPlayed > 0).ToList();
        if (established.Count < 2) return null;
        var topChance = TopChance(established);
        var top = established.OrderByDescending(c => topChance[c.Id]).ThenByDescending(c => c.Elo).ThenBy(c => c.Id, StringComparer.Ordinal).Take(TopSize).ToList();
        var pairs = from i in Enumerable.Range(0, top.Count) from j in Enumerable.Range(i + 1, top.Count - i - 1) select (A: top[i], B: top[j]);
        var closest = pairs.OrderBy(p => Math.Abs(p.A.Elo - p.B.Elo)).First();
        return new ScheduledMatch(closest.A.Id, closest.B.Id, IsDebate: true);
    }

    private static (Contender A, Contender B)? BestPair(IReadOnlyList<Contender> contenders, IReadOnlyDictionary<string, double> topChance,
        HashSet<string> busy, Func<string, string, int> timesPlayed, Func<string, string, bool> playedThisCycle, bool allowNearCertain)
    {
        (Contender A, Contender B)? best = null, fallback = null;
        var bestScore = double.NegativeInfinity;
        var fallbackCertainty = double.PositiveInfinity;
        var free = contenders.Where(c => !busy.Contains(c.Id)).OrderBy(c => c.Id, StringComparer.Ordinal).ToList();
        for (var i = 0; i < free.Count; i++)
        for (var j = i + 1; j < free.Count; j++)
        {
            var (a, b) = (free[i], free[j]);
            var p = BradleyTerry.WinProbability(a.Elo, b.Elo);
            var certainty = Math.Max(p, 1 - p);
            var met = timesPlayed(a.Id, b.Id);
            if (certainty > NearCertain)
            {
                // Only ever as a last resort, and never a near-certain pair that has met before.
                if (allowNearCertain && met == 0 && certainty < fallbackCertainty) (fallback, fallbackCertainty) = ((a, b), certainty);
                continue;
            }
            // Closeness × uncertainty × relevance to the top: the verdicts most likely to change who is on top.
            var score = p * (1 - p) * Math.Sqrt(a.Sd * a.Sd + b.Sd * b.Sd) * (topChance[a.Id] + topChance[b.Id]) / (1 + met);
            if (playedThisCycle(a.Id, b.Id)) score *= 0.1;
            if (score > bestScore) (best, bestScore) = ((a, b), score);
        }
        return best ?? fallback;
    }

    /// <summary>
    /// Each contender's chance of being among the top three, drawing ratings from their intervals (deterministically:
    /// the same ratings give the same schedule).
    /// </summary>
    private static Dictionary<string, double> TopChance(IReadOnlyList<Contender> contenders)
    {
        var random = new Random(17);
        var counts = new double[contenders.Count];
        var draws = new double[contenders.Count];
        var order = new int[contenders.Count];
        var top = Math.Min(TopSize, contenders.Count);
        for (var s = 0; s < Samples; s++)
        {
            for (var i = 0; i < contenders.Count; i++)
            {
                draws[i] = contenders[i].Elo + contenders[i].Sd * Gaussian(random);
                order[i] = i;
            }
            Array.Sort((double[])draws.Clone(), order);
            for (var k = 0; k < top; k++) counts[order[contenders.Count - 1 - k]]++;
        }
        return contenders.Select((c, i) => (c.Id, Chance: counts[i] / Samples)).ToDictionary(x => x.Id, x => x.Chance);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
