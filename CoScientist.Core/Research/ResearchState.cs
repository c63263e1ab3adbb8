namespace CoScientist.Core.Research;

/// <summary>An immutable view of the research at one moment, safe to hand to any thread.</summary>
public sealed record ResearchSnapshot(
    string Goal,
    int Cycle,
    IReadOnlyList<Hypothesis> Hypotheses,
    IReadOnlyList<Match> Matches,
    IReadOnlyList<MetaReview> MetaReviews,
    IReadOnlyList<CycleReport> Reports)
{
    // Sorted once per snapshot, not once per reader: a render asks for it from several components. Kept with the list
    // it sorted, so a copy made by `with` does not show another list's order.
    private Tuple<IReadOnlyList<Hypothesis>, IReadOnlyList<Hypothesis>>? _ranked;

    public IReadOnlyList<Hypothesis> Ranked
    {
        get
        {
            if (_ranked is { } kept && ReferenceEquals(kept.Item1, Hypotheses)) return kept.Item2;
            IReadOnlyList<Hypothesis> ranked = Hypotheses.OrderByDescending(h => h.Elo).ThenBy(h => h.CycleCreated).ThenBy(h => h.Id).ToArray();
            _ranked = Tuple.Create(Hypotheses, ranked);
            return ranked;
        }
    }

    public MetaReview? LatestMetaReview => MetaReviews.Count == 0 ? null : MetaReviews[^1];

    /// <summary>
    /// The three highest-rated hypotheses are separated from the rest beyond their 95% intervals: each one's lower bound
    /// is above every other's upper bound (rejected ones left out). Needs at least four rated hypotheses.
    /// </summary>
    public bool TopThreeSettled
    {
        get
        {
            var rated = Hypotheses.Where(h => !h.Rejected && h.EloMargin is not null).OrderByDescending(h => h.Elo).ToList();
            // One not yet rated could be anywhere: nothing is settled until it has played.
            if (rated.Count < 4 || Hypotheses.Any(h => !h.Rejected && h.EloMargin is null)) return false;
            return rated.Take(3).Min(h => h.Elo - h.EloMargin!.Value) > rated.Skip(3).Max(h => h.Elo + h.EloMargin!.Value);
        }
    }

    /// <summary>The owner's votes, in the order cast.</summary>
    public IReadOnlyList<Vote> Votes { get; init; } = [];

    /// <summary>The owner's directive for the next cycle, not yet used by one.</summary>
    public string? PendingDirective { get; init; }

    /// <summary>The papers the research retrieved, in number order.</summary>
    public IReadOnlyList<ResearchPaper> Papers { get; init; } = [];

    public ResearchPaper? Paper(int number) => number >= 1 && number <= Papers.Count && Papers[number - 1].Number == number
        ? Papers[number - 1]
        : Papers.FirstOrDefault(p => p.Number == number);
}

/// <summary>
/// Everything one research goal has produced across cycles. The Supervisor's parallel tasks
/// write through these methods, which serialise every change. Ratings are refitted over all the
/// research's matches (and the owner's votes) whenever one is recorded (<see cref="BradleyTerry"/>),
/// so they do not depend on the order in which matches finish.
/// </summary>
public sealed class ResearchState(string goal)
{
    private readonly Lock _gate = new();
    private readonly List<Hypothesis> _hypotheses = [];
    private readonly List<Match> _matches = [];
    private readonly List<MetaReview> _metaReviews = [];
    private readonly List<CycleReport> _reports = [];
    private readonly List<ResearchPaper> _papers = [];
    private readonly List<Vote> _votes = [];
    private string? _pendingDirective;
    private double _voteWeight;
    private int _cycle;
    // Ids continue from the highest number ever issued rather than the list's length, so a research
    // restored with a gap (an item lost in a crash) never hands out an id twice.
    private int _lastHypothesisNumber;
    private int _lastMatchNumber;
    // Every change clears _snapshot; _lastSnapshot outlives it, to share the lists that did not change.
    private ResearchSnapshot? _snapshot;
    private ResearchSnapshot? _lastSnapshot;

    public string Goal { get; } = goal;

    /// <summary>Rebuilds the research a store saved, so further cycles continue it (new ids follow the highest saved).</summary>
    public static ResearchState Restore(ResearchSnapshot snapshot)
    {
        var state = new ResearchState(snapshot.Goal);
        state._hypotheses.AddRange(snapshot.Hypotheses);
        state._matches.AddRange(snapshot.Matches);
        state._metaReviews.AddRange(snapshot.MetaReviews);
        state._reports.AddRange(snapshot.Reports);
        state._papers.AddRange(snapshot.Papers.OrderBy(p => p.Number));
        state._votes.AddRange(snapshot.Votes);
        state._pendingDirective = snapshot.PendingDirective;
        state._cycle = snapshot.Cycle;
        state._lastHypothesisNumber = snapshot.Hypotheses.Select(h => IdNumber(h.Id)).DefaultIfEmpty(0).Max();
        state._lastMatchNumber = snapshot.Matches.Select(m => IdNumber(m.Id)).DefaultIfEmpty(0).Max();
        return state;
    }

    private static int IdNumber(string id) => int.TryParse(id.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;

    public int Cycle { get { lock (_gate) return _cycle; } }

    public int StartCycle()
    {
        lock (_gate)
        {
            _cycle++;
            _snapshot = null;
            for (var i = 0; i < _hypotheses.Count; i++)
                _hypotheses[i] = _hypotheses[i] with { EloAtCycleStart = _hypotheses[i].Elo };
            return _cycle;
        }
    }

    public Hypothesis Add(HypothesisDraft draft, HypothesisOrigin origin = HypothesisOrigin.Generated,
        IReadOnlyList<string>? parentIds = null, EvolutionStrategy? strategy = null)
    {
        lock (_gate)
        {
            var hypothesis = new Hypothesis
            {
                Id = $"H{++_lastHypothesisNumber:D3}",
                Title = draft.Title,
                Statement = draft.Statement,
                Rationale = draft.Rationale,
                Prediction = draft.Prediction,
                CycleCreated = _cycle,
                Origin = origin,
                ParentIds = parentIds ?? [],
                Strategy = strategy,
                Citations = KnownPapers(draft.Citations),
                EloHistory = [new EloPoint(_cycle, EloRating.InitialRating)],
            };
            _hypotheses.Add(hypothesis);
            _snapshot = null;
            if (hypothesis.ParentIds.Count == 0) return hypothesis;
            // An offspring's prior is centred on its parents (BradleyTerry.Fit): it enters at their rating, not at 1200.
            Refit();
            _hypotheses[^1] = _hypotheses[^1] with { EloHistory = [new EloPoint(_cycle, _hypotheses[^1].Elo)] };
            return _hypotheses[^1];
        }
    }

    /// <summary>
    /// Adds papers the research did not have (same DOI, arXiv id or title as one it has: skipped), numbered after the
    /// last; returns those added.
    /// </summary>
    public IReadOnlyList<ResearchPaper> AddPapers(IEnumerable<ResearchPaper> found)
    {
        lock (_gate)
        {
            var added = new List<ResearchPaper>();
            foreach (var candidate in found)
            {
                if (_papers.Any(p => Literature.PaperIdentity.Same(p.Paper, candidate.Paper))) continue;
                var paper = candidate with { Number = _papers.Count == 0 ? 1 : _papers[^1].Number + 1, CycleFound = _cycle };
                _papers.Add(paper);
                _snapshot = null;
                added.Add(paper);
            }
            return added;
        }
    }

    /// <summary>Sets the embeddings of papers (they are not stored, so a restored research computes them again).</summary>
    public void SetPaperEmbeddings(IReadOnlyDictionary<int, float[]> embeddings)
    {
        lock (_gate)
        {
            _snapshot = null;
            for (var i = 0; i < _papers.Count; i++)
                if (embeddings.TryGetValue(_papers[i].Number, out var e))
                    _papers[i] = _papers[i] with { Embedding = e };
        }
    }

    /// <summary>The citations that name a paper the research has, once each, in the order written.</summary>
    public IReadOnlyList<int> KnownPapers(IEnumerable<int> citations)
    {
        lock (_gate)
            return citations.Distinct().Where(n => _papers.Any(p => p.Number == n)).ToList();
    }

    public Hypothesis Get(string id)
    {
        lock (_gate) return _hypotheses[IndexOf(id)];
    }

    public Hypothesis Update(string id, Func<Hypothesis, Hypothesis> change)
    {
        lock (_gate)
        {
            var index = IndexOf(id);
            _snapshot = null;
            return _hypotheses[index] = change(_hypotheses[index]);
        }
    }

    /// <summary>
    /// Records a finished match and refits every rating; the match keeps both contenders' ratings just before and
    /// just after it. <paramref name="shownFirstId"/>: which of the two the judge saw first.
    /// </summary>
    public Match RecordMatch(string aId, string bId, string winnerId, string rationale, bool isDebate,
        IReadOnlyList<DebateTurn> transcript, string? shownFirstId = null)
    {
        if (winnerId != aId && winnerId != bId)
            throw new ArgumentException("The winner must be one of the two contenders.", nameof(winnerId));
        lock (_gate)
        {
            var a = _hypotheses[IndexOf(aId)];
            var b = _hypotheses[IndexOf(bId)];
            var aWon = winnerId == aId;
            var match = new Match($"M{++_lastMatchNumber:D3}", _cycle, aId, bId, winnerId, rationale, isDebate,
                transcript, a.Elo, b.Elo, a.Elo, b.Elo) { ShownFirstId = shownFirstId };
            _matches.Add(match);
            _snapshot = null;
            Update(aId, h => h with { Wins = h.Wins + (aWon ? 1 : 0), Losses = h.Losses + (aWon ? 0 : 1) });
            Update(bId, h => h with { Wins = h.Wins + (aWon ? 0 : 1), Losses = h.Losses + (aWon ? 1 : 0) });
            Refit();
            match = match with { EloAAfter = _hypotheses[IndexOf(aId)].Elo, EloBAfter = _hypotheses[IndexOf(bId)].Elo };
            _matches[^1] = match;
            return match;
        }
    }

    /// <summary>Records the owner's verdict on a pair; it moves the ratings only when votes count (<see cref="Rerate"/>).</summary>
    public Vote AddVote(string aId, string bId, string winnerId, DateTimeOffset at)
    {
        if (aId == bId || (winnerId != aId && winnerId != bId))
            throw new ArgumentException("A vote picks one of two different hypotheses.", nameof(winnerId));
        lock (_gate)
        {
            IndexOf(aId);
            IndexOf(bId);
            var vote = new Vote($"V{_votes.Select(v => IdNumber(v.Id)).DefaultIfEmpty(0).Max() + 1:D3}", _cycle, aId, bId, winnerId, at);
            _votes.Add(vote);
            _snapshot = null;
            if (_voteWeight > 0) Refit(); // the vote counts at once when the owner chose that votes count
            return vote;
        }
    }

    /// <summary>The owner's directive for the next cycle; blank clears it.</summary>
    public void SetDirective(string? directive)
    {
        lock (_gate)
        {
            _pendingDirective = string.IsNullOrWhiteSpace(directive) ? null : directive.Trim();
            _snapshot = null;
        }
    }

    /// <summary>Hands the pending directive to the cycle starting now, which follows it once; it is cleared.</summary>
    public string? TakeDirective()
    {
        lock (_gate)
        {
            var directive = _pendingDirective;
            _pendingDirective = null;
            _snapshot = null;
            return directive;
        }
    }

    /// <summary>
    /// Refits every rating with the owner's votes counted <paramref name="voteWeight"/> times each (0: not at all); later
    /// refits keep that weight. Call it when the weight or the votes change.
    /// </summary>
    public void Rerate(double voteWeight)
    {
        lock (_gate)
        {
            _voteWeight = voteWeight;
            Refit();
            _snapshot = null;
        }
    }

    // Rejected hypotheses stay in the fit: their matches still say something about the hypotheses they met.
    private void Refit()
    {
        var parents = _hypotheses.ToDictionary(h => h.Id, h => h.ParentIds);
        var fit = BradleyTerry.Fit(_hypotheses.Select(h => h.Id).ToList(), Comparison.From(_matches, _votes, _voteWeight),
            parents: id => parents.GetValueOrDefault(id, []));
        for (var i = 0; i < _hypotheses.Count; i++)
        {
            var rating = fit[_hypotheses[i].Id];
            _hypotheses[i] = _hypotheses[i] with { Elo = rating.Elo, EloMargin = rating.Comparisons > 0 ? rating.Margin : null };
        }
    }

    public void AddMetaReview(MetaReview metaReview)
    {
        lock (_gate)
        {
            _metaReviews.Add(metaReview);
            _snapshot = null;
        }
    }

    /// <summary>Closes a cycle: every hypothesis gets a point on its Elo history.</summary>
    public void FinishCycle(CycleReport report)
    {
        lock (_gate)
        {
            for (var i = 0; i < _hypotheses.Count; i++)
            {
                var h = _hypotheses[i];
                var history = h.EloHistory.Where(p => p.Cycle != _cycle).Append(new EloPoint(_cycle, h.Elo)).ToList();
                _hypotheses[i] = h with { EloHistory = history };
            }
            _reports.Add(report);
            _snapshot = null;
        }
    }

    /// <summary>
    /// The research as it is now. The copy is kept until something changes, so the many readers of one moment (every
    /// watcher of a step's progress) share it; a rebuilt copy keeps the previous one's lists that did not change, so a
    /// page can tell by reference what it need not draw again.
    /// </summary>
    public ResearchSnapshot Snapshot()
    {
        lock (_gate)
        {
            if (_snapshot is { } kept) return kept;
            var last = _lastSnapshot;
            return _lastSnapshot = _snapshot = new ResearchSnapshot(Goal, _cycle, Same(last?.Hypotheses, _hypotheses), Same(last?.Matches, _matches),
                Same(last?.MetaReviews, _metaReviews), Same(last?.Reports, _reports))
            {
                Papers = Same(last?.Papers, _papers),
                Votes = Same(last?.Votes, _votes),
                PendingDirective = _pendingDirective,
            };
        }
    }

    private static IReadOnlyList<T> Same<T>(IReadOnlyList<T>? copy, List<T> now) where T : class
    {
        if (copy is null || copy.Count != now.Count) return now.ToArray();
        for (var i = 0; i < now.Count; i++)
            if (!ReferenceEquals(copy[i], now[i])) return now.ToArray();
        return copy;
    }

    private int IndexOf(string id)
    {
        var index = _hypotheses.FindIndex(h => h.Id == id);
        return index >= 0 ? index : throw new KeyNotFoundException($"No hypothesis {id}.");
    }
}
