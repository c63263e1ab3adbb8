using CoScientist.Core.Literature;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;

namespace CoScientist.Tests.Fakes;

/// <summary>
/// Research as the Supervisor builds it, with texts as long as real answers (~250 tokens a hypothesis, ~300 a
/// review): for storage tests and the store benchmark. Each cycle reports every finished item's changes,
/// as the research host saves them.
/// </summary>
/// <param name="literature">Whether cycles retrieve papers (a store older than schema 3 has nowhere to keep them).</param>
public sealed class SampleResearch(int seed, bool literature = true)
{
    public const int Generated = 6, Evolved = 3, MatchesPerCycle = 12;

    private static readonly string[] Words = ["mitochondrial", "stress", "perovskite", "defect", "passivation", "tau", "aggregation",
        "microbiota", "signalling", "redox", "allosteric", "feedback", "phase", "separation", "membrane", "transport", "lithium",
        "dendrite", "electrolyte", "kinetics", "assay", "cohort", "knockout", "expression", "binding", "affinity", "thermal",
        "stability", "efficiency", "recombination", "interface", "enzyme", "pathway", "inhibitor", "selectivity", "control"];

    private readonly Random _random = new(seed);

    /// <summary>One cycle: 6 generated and 3 evolved hypotheses, reviewed and embedded, 12 matches (one a debate), a meta-review.</summary>
    public CycleReport RunCycle(ResearchState state, Action<ResearchChanges> finished, DateTimeOffset at)
    {
        var cycle = state.StartCycle();
        finished(new ResearchChanges { Hypotheses = state.Snapshot().Hypotheses, Summary = Summary(state, at, cycle) });
        var papers = literature ? state.AddPapers(Enumerable.Range(0, 3).Select(i => new ResearchPaper(0, NewPaper(), 0, 0.7 - i / 10.0))) : [];
        if (literature) finished(new ResearchChanges { Papers = papers });
        var search = new LiteratureReport([Text(30), Text(30)],
            [new LiteratureSourceReport(LiteratureSource.ArXiv, 3, FromCache: cycle == 2), new LiteratureSourceReport(LiteratureSource.EuropePmc, 0, Error: "Europe PMC answered HTTP 503.")],
            papers.Count) { OffTopic = cycle, QueryNote = cycle == 3 ? Text(80) : null };

        var generated = Enumerable.Range(0, Generated).Select(_ => Save(state.Add(Draft()))).ToList();
        foreach (var h in generated) Review(h.Id, failed: cycle == 2 && h == generated[^1]);
        Embed(generated);
        var pool = state.Snapshot().Hypotheses.Where(h => h.Review is not null).Select(h => h.Id).ToList();
        for (var i = 0; i < MatchesPerCycle - Evolved; i++)
            Play(pool[i % pool.Count], pool[(i + 1 + i / pool.Count) % pool.Count], debate: i == 0);

        var strategies = Enum.GetValues<EvolutionStrategy>();
        var evolved = Enumerable.Range(0, Evolved).Select(i => Save(state.Add(Draft(), HypothesisOrigin.Evolved,
            [pool[i % pool.Count], pool[(i + 1) % pool.Count]], strategies[(cycle + i) % strategies.Length]))).ToList();
        foreach (var h in evolved) Review(h.Id, failed: false);
        Embed(evolved);
        foreach (var h in evolved) Play(h.Id, pool[_random.Next(pool.Count)], debate: false);

        var meta = new MetaReview(cycle, [Text(200), Text(180), Text(220)], Text(1500), pool.Take(3).ToList(),
            [Text(150), Text(150), Text(150)], [Text(200), Text(200), Text(200)]);
        state.AddMetaReview(meta);
        finished(new ResearchChanges { MetaReviews = [meta] });

        var steps = Enum.GetValues<CycleStep>().Select(s => new StepReport(s, 3 + (int)s, 4_000 + 137 * (int)s, 1_900 + 61 * (int)s,
            0.0012345m * (1 + (int)s), s == CycleStep.Reflection && cycle == 2 ? 1 : 0, TimeSpan.FromTicks(12_345_678 + (int)s))).ToList();
        var report = new CycleReport(cycle, at, at.AddSeconds(41.5), cycle == 2 ? CycleOutcome.CompletedWithFailures : CycleOutcome.Completed,
            steps, cycle == 2 ? [new ItemFailure(CycleStep.Reflection, generated[^1].Id, "The model's answer was not valid JSON.")] : [])
        {
            Literature = literature ? search : null,
        };
        state.FinishCycle(report);
        var done = state.Snapshot();
        finished(new ResearchChanges { Hypotheses = done.Hypotheses, Reports = [report], Summary = Summary(state, at.AddSeconds(42), null) });
        return report;

        Hypothesis Save(Hypothesis h)
        {
            finished(new ResearchChanges { Hypotheses = [h] });
            return h;
        }

        void Review(string id, bool failed)
        {
            var h = failed
                ? state.Update(id, x => x with { ReviewError = "The model's answer was not valid JSON." })
                : state.Update(id, x => x with { Review = NewReview() });
            finished(new ResearchChanges { Hypotheses = [h] });
        }

        void Embed(List<Hypothesis> added)
        {
            var changed = added.Select(h => state.Update(h.Id, x => x with
            {
                Embedding = Vector(),
                DuplicateOfId = x.Id == added[^1].Id && cycle == 3 ? added[0].Id : null,
            })).ToList();
            finished(new ResearchChanges { Hypotheses = changed });
        }

        void Play(string a, string b, bool debate)
        {
            var transcript = debate ? Enumerable.Range(0, 5).Select(i => new DebateTurn(i == 4 ? "judge" : i % 2 == 0 ? a : b, Text(800))).ToList() : [];
            var match = state.RecordMatch(a, b, _random.Next(2) == 0 ? a : b, Text(450), debate, transcript);
            finished(new ResearchChanges { Matches = [match], Hypotheses = [state.Get(a), state.Get(b)] });
        }
    }

    private static ResearchSummary Summary(ResearchState state, DateTimeOffset at, int? running) =>
        new(state.Cycle, state.Snapshot().Reports.Sum(r => r.CostUsd), at, running);

    private HypothesisDraft Draft() => new(Text(90), Text(450), Text(550), Text(220)) { Citations = [1, _random.Next(1, 4)] };

    private Paper NewPaper()
    {
        var id = $"2{_random.Next(100, 999)}.{_random.Next(10_000, 99_999)}";
        return new Paper(LiteratureSource.ArXiv, Text(80), [Text(12), Text(14)], 2024, "arXiv", Text(900), null, id, "https://arxiv.org/abs/" + id);
    }

    private Review NewReview() => new(Rating(), Rating(), Rating(), Text(900),
        Enumerable.Range(0, _random.Next(1, 4)).Select(i => new Reference(Text(90), i == 1 ? null : "Nature Communications, 2021",
            i == 2 ? null : $"https://doi.org/10.1038/s41467-021-{_random.Next(10_000, 99_999)}")
        {
            Status = i == 0 ? ReferenceStatus.Verified : ReferenceStatus.Unverified,
            Record = i == 0 ? NewPaper() : null,
            Note = i == 0 ? null : "No Crossref record has this title.",
            Doi = i == 2 ? "10.1038/s41467-021-12345" : null,
        }).ToList())
    {
        Citations = [2],
        ClosestPriorWork = [new PriorWork(1, 0.61), new PriorWork(3, 0.42)],
        LikelyNotNovel = _random.Next(5) == 0,
    };

    private CriterionRating Rating()
    {
        var score = _random.Next(1, 11);
        return new CriterionRating(score < 4 ? RatingLevel.Low : score < 8 ? RatingLevel.Medium : RatingLevel.High, score);
    }

    private float[] Vector()
    {
        var v = Enumerable.Range(0, 384).Select(_ => (float)(_random.NextDouble() * 2 - 1)).ToArray();
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    private string Text(int length)
    {
        var text = new System.Text.StringBuilder();
        while (text.Length < length)
            text.Append(Words[_random.Next(Words.Length)]).Append(_random.Next(9) == 0 ? ". " : " ");
        return text.ToString(0, length).TrimEnd() + ".";
    }
}
