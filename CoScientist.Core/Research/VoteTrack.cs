namespace CoScientist.Core.Research;

/// <summary>How the owner's votes compare with the LLM judge's verdicts on the same pairs.</summary>
public sealed record VoteAgreement(int Compared, int Agreed)
{
    public double Share => Compared == 0 ? 0 : (double)Agreed / Compared;
}

/// <summary>The owner's votes beside the judge's matches: which pair to ask about next, and how often the two agree.</summary>
public static class VoteTrack
{
    /// <summary>Pairs within the top of the ranking are offered; beyond it a vote tells the tournament little.</summary>
    public const int PairPool = 8;

    /// <summary>
    /// The next pair to ask the owner about: among the top <see cref="PairPool"/> hypotheses still in the tournament, a
    /// pair not voted on yet (nor skipped), closest in rating first, since that is where the tournament is least sure.
    /// Null when none is left.
    /// </summary>
    public static (Hypothesis A, Hypothesis B)? NextPair(ResearchSnapshot research, IReadOnlySet<string>? skipped = null)
    {
        var pool = research.Ranked.Where(h => !h.Rejected && !h.IsNearDuplicate).Take(PairPool).ToList();
        var voted = research.Votes.Select(v => Key(v.HypothesisAId, v.HypothesisBId)).ToHashSet();
        return pool.SelectMany((a, i) => pool.Skip(i + 1).Select(b => (A: a, B: b, Rank: i)))
            .Where(p => !voted.Contains(Key(p.A.Id, p.B.Id)) && skipped?.Contains(Key(p.A.Id, p.B.Id)) != true)
            .OrderBy(p => Math.Abs(p.A.Elo - p.B.Elo)).ThenBy(p => p.Rank)
            .Select(p => ((Hypothesis, Hypothesis)?)(p.A, p.B)).FirstOrDefault();
    }

    /// <summary>
    /// Over the pairs both the owner and the judge decided (the judge's verdict on a pair is the majority of its matches;
    /// a tie says nothing), how many the owner's latest vote agrees with.
    /// </summary>
    public static VoteAgreement Agreement(ResearchSnapshot research)
    {
        var judged = research.Matches.GroupBy(m => Key(m.HypothesisAId, m.HypothesisBId))
            .Select(g => (Pair: g.Key, Winners: g.GroupBy(m => m.WinnerId).OrderByDescending(w => w.Count()).Select(w => (w.Key, Count: w.Count())).ToList()))
            .Where(x => x.Winners.Count == 1 || x.Winners[0].Count > x.Winners[1].Count)
            .ToDictionary(x => x.Pair, x => x.Winners[0].Key);
        var votes = research.Votes.GroupBy(v => Key(v.HypothesisAId, v.HypothesisBId)).Select(g => g.Last())
            .Where(v => judged.ContainsKey(Key(v.HypothesisAId, v.HypothesisBId))).ToList();
        return new VoteAgreement(votes.Count, votes.Count(v => judged[Key(v.HypothesisAId, v.HypothesisBId)] == v.WinnerId));
    }

    public static string Key(string a, string b) => string.CompareOrdinal(a, b) < 0 ? $"{a}|{b}" : $"{b}|{a}";
}
