using CoScientist.Core.Agents.Ranking;
using CoScientist.Core.Research;

namespace CoScientist.Core.Agents.Supervisor;

public sealed partial class CycleSupervisor
{
    /// <summary>Items done out of a total, shared by the rounds of one step.</summary>
    private sealed class StepCounter(int total)
    {
        public int Done;
        public int Total { get; } = total;
    }

    private sealed partial class CycleRun
    {
        /// <summary>
        /// Plays the tournament in rounds as wide as the parallel bound, refitting the ratings after each so the next
        /// pairs go where the verdicts are still in doubt (<see cref="TournamentScheduler"/>). The debate, several calls
        /// long, starts first beside the rounds, which then leave it one slot: the step takes no longer than one wave of
        /// all its matches would. Rejected hypotheses are left out; the budget is never exceeded.
        /// </summary>
        private async Task RankAsync(CycleStep step, Func<Hypothesis, bool> isNew, int budget, bool allowDebate)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var failuresBefore = _failures.Count;
            var contenders = Contenders(state.Snapshot(), isNew);
            var counter = new StepCounter(contenders.Count >= 2 ? budget : 0);
            Emit(new StepStarted(step, counter.Total));
            var remaining = counter.Total;
            var debate = Task.CompletedTask;
            if (allowDebate && settings.DebateTurns > 0 && remaining >= 2 && TournamentScheduler.Debate(contenders) is { } pair)
            {
                remaining--;
                debate = RunItemsAsync(step, [pair], Label, PlayAsync, finishStep: false, counter);
            }
            try
            {
                while (remaining > 0)
                {
                    var snapshot = state.Snapshot();
                    var width = Math.Max(1, settings.MaxParallelCalls - (debate.IsCompleted ? 0 : 1));
                    var round = TournamentScheduler.NextRound(Contenders(snapshot, isNew), width, remaining,
                        (a, b) => snapshot.Matches.Count(m => Between(m, a, b)),
                        (a, b) => snapshot.Matches.Any(m => m.Cycle == snapshot.Cycle && Between(m, a, b)));
                    if (round.Count == 0) break;
                    remaining -= round.Count;
                    await RunItemsAsync(step, round, Label, PlayAsync, finishStep: false, counter);
                }
            }
            finally
            {
                await Task.WhenAny(debate); // never leave the debate running unobserved, whatever stopped the rounds
            }
            await debate;
            if (step == CycleStep.Ranking)
                FinishStep(step, _failures.Count - failuresBefore, watch.Elapsed);

            async Task PlayAsync(ScheduledMatch m, CancellationToken ct)
            {
                // The judge sees the two in an order drawn at random; the match records them in that order, so the
                // transcript's "A" is the hypothesis the judge saw first.
                var (first, second) = s.Order.KeepOrder() ? (state.Get(m.AId), state.Get(m.BId)) : (state.Get(m.BId), state.Get(m.AId));
                var context = _context with { Step = step };
                var verdict = m.IsDebate
                    ? await s.Ranking.DebateAsync(context, first, second, settings.DebateTurns, ct)
                    : await s.Ranking.JudgeAsync(context, first, second, ct);
                s.Positions.Record(shownFirstWon: verdict.AWins);
                var match = state.RecordMatch(first.Id, second.Id, verdict.AWins ? first.Id : second.Id, verdict.Rationale, m.IsDebate,
                    verdict.Transcript, shownFirstId: first.Id);
                Emit(new MatchPlayed(match));
            }
        }

        private static List<Contender> Contenders(ResearchSnapshot snapshot, Func<Hypothesis, bool> isNew) =>
            snapshot.Hypotheses.Where(h => !h.Rejected).Select(h => Contender.Of(h, isNew(h))).ToList();

        private static bool Between(Match m, string a, string b) =>
            (m.HypothesisAId == a && m.HypothesisBId == b) || (m.HypothesisAId == b && m.HypothesisBId == a);

        private static string Label(ScheduledMatch m) => $"{m.AId} vs {m.BId}";
    }
}
