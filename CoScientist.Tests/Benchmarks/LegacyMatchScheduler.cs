namespace CoScientist.Tests.Benchmarks;

public sealed record LegacyContender(string Id, double Elo, bool IsNew, int MatchesPlayed);

public sealed record LegacyMatch(string AId, string BId, bool IsDebate);

/// <summary>
/// The scheduler before issue #11, kept as the tournament benchmark's baseline ("today's"): one-shot, before any verdict.
/// Picks which pairs play this cycle, within a match budget, instead of a round robin whose cost
/// grows with the square of the hypotheses. Greedy by a pair score: hypotheses that have not
/// played yet come first, then close Elo ratings and similar pairs (the informative matches),
/// while pairs already played and hypotheses already busy this cycle are pushed back.
/// </summary>
public static class LegacyMatchScheduler
{
    private const double NewcomerBonus = 100;
    private const double EloGapPenaltyPer100 = 10;
    private const double SimilarityBonus = 20;
    private const double RematchPenalty = 30;
    private const double BusyPenalty = 8;

    public static IReadOnlyList<LegacyMatch> Schedule(
        IReadOnlyList<LegacyContender> contenders,
        int budget,
        Func<string, string, double?> similarity,
        Func<string, string, int> timesPlayed,
        bool allowDebate)
    {
        var plan = new List<LegacyMatch>();
        if (contenders.Count < 2 || budget <= 0)
            return plan;

        var busy = contenders.ToDictionary(c => c.Id, _ => 0);
        var planned = new Dictionary<(string, string), int>();

        if (allowDebate && budget >= 2)
        {
            var top = contenders.Where(c => c.MatchesPlayed > 0).OrderByDescending(c => c.Elo).ThenBy(c => c.Id).Take(2).ToList();
            if (top.Count == 2)
            {
                plan.Add(new LegacyMatch(top[0].Id, top[1].Id, IsDebate: true));
                Count(top[0].Id, top[1].Id);
            }
        }

        var ordered = contenders.OrderBy(c => c.Id, StringComparer.Ordinal).ToList();
        while (plan.Count < budget)
        {
            (LegacyContender A, LegacyContender B)? best = null;
            var bestScore = double.NegativeInfinity;
            for (var i = 0; i < ordered.Count; i++)
            for (var j = i + 1; j < ordered.Count; j++)
            {
                var score = Score(ordered[i], ordered[j]);
                if (score > bestScore)
                {
                    bestScore = score;
                    best = (ordered[i], ordered[j]);
                }
            }
            var (a, b) = best!.Value;
            plan.Add(new LegacyMatch(a.Id, b.Id, IsDebate: false));
            Count(a.Id, b.Id);
        }
        return plan;

        double Score(LegacyContender a, LegacyContender b)
        {
            var score = 0.0;
            if (a.IsNew && busy[a.Id] == 0) score += NewcomerBonus;
            if (b.IsNew && busy[b.Id] == 0) score += NewcomerBonus;
            score -= Math.Abs(a.Elo - b.Elo) / 100 * EloGapPenaltyPer100;
            score += SimilarityBonus * (similarity(a.Id, b.Id) ?? 0);
            score -= RematchPenalty * (timesPlayed(a.Id, b.Id) + planned.GetValueOrDefault(Key(a.Id, b.Id)));
            score -= BusyPenalty * (busy[a.Id] + busy[b.Id]);
            return score;
        }

        void Count(string a, string b)
        {
            busy[a]++;
            busy[b]++;
            planned[Key(a, b)] = planned.GetValueOrDefault(Key(a, b)) + 1;
        }
    }

    private static (string, string) Key(string a, string b) => string.CompareOrdinal(a, b) < 0 ? (a, b) : (b, a);
}
