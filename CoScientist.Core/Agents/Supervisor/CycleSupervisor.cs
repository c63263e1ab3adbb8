using System.Runtime.CompilerServices;
using System.Threading.Channels;
using CoScientist.Core.Agents.Evolution;
using CoScientist.Core.Agents.Generation;
using CoScientist.Core.Agents.Literature;
using CoScientist.Core.Literature;
using CoScientist.Core.Agents.MetaReview;
using CoScientist.Core.Agents.Proximity;
using CoScientist.Core.Agents.Ranking;
using CoScientist.Core.Agents.Reflection;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using Microsoft.Extensions.Logging;

namespace CoScientist.Core.Agents.Supervisor;

/// <summary>
/// Runs one research cycle: Literature (when the deployment searches), Generation, Reflection, Proximity,
/// Ranking, Evolution (whose offspring are reviewed and enter the tournament), Meta-review. Generation,
/// Reflection and Evolution are grounded in the research's retrieved papers and cite them by number. Independent calls run in parallel up to
/// the settings' bound; progress streams out as events. A failed call fails its item only; a
/// failure that would hit every call alike (no key, out of credits, a limit) stops the cycle,
/// and whatever was produced until then is kept.
/// </summary>
public sealed partial class CycleSupervisor(
    GenerationAgent generation,
    ReflectionAgent reflection,
    RankingAgent ranking,
    EvolutionAgent evolution,
    ProximityAgent proximity,
    MetaReviewAgent metaReview,
    LiteratureAgent literature,
    ReferenceVerifier verifier,
    JudgePositionStats positions,
    JudgeOrder order,
    TimeProvider clock,
    ILogger<CycleSupervisor> logger)
{
    // Named for the nested run, which cannot see primary-constructor parameters.
    private GenerationAgent Generation => generation;
    private ReflectionAgent Reflection => reflection;
    private RankingAgent Ranking => ranking;
    private EvolutionAgent Evolution => evolution;
    private ProximityAgent Proximity => proximity;
    private MetaReviewAgent MetaReviewer => metaReview;
    private LiteratureAgent Literature => literature;
    private ReferenceVerifier Verifier => verifier;
    private JudgePositionStats Positions => positions;
    private JudgeOrder Order => order;
    private ILogger Logger => logger;
    private TimeProvider Clock => clock;

    public async IAsyncEnumerable<CycleEvent> RunCycleAsync(ResearchState state, ResearchSettings settings, LlmCallContext call,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<CycleEvent>(new UnboundedChannelOptions { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = new CycleRun(this, state, settings, call, channel.Writer, stop.Token);
        var worker = Task.Run(async () =>
        {
            try
            {
                await run.ExecuteAsync();
            }
            finally
            {
                channel.Writer.TryComplete(); // whatever happened, the reader is never left waiting
            }
        }, CancellationToken.None);
        var finished = false;
        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(CancellationToken.None))
                yield return e;
            finished = true;
        }
        finally
        {
            // A reader that stops listening stops the cycle too: nothing may run on, and spend, unobserved.
            if (!finished) stop.Cancel();
            await worker;
        }
    }

    private sealed partial class CycleRun(CycleSupervisor s, ResearchState state, ResearchSettings settings, LlmCallContext call,
        ChannelWriter<CycleEvent> events, CancellationToken outer)
    {
        private readonly CancellationTokenSource _deadline = new(settings.CycleDeadline, s.Clock);
        private readonly List<ItemFailure> _failures = [];
        private CancellationTokenSource _cts = null!;
        private int _produced, _providerFailures;
        private readonly List<StepReport> _steps = [];
        private readonly CycleMeter _meter = new(call.Usage, settled => events.TryWrite(settled with { At = s.Clock.GetUtcNow() }));
        private LlmException? _fatal;
        private AgentContext _context = null!;
        private CyclePlan _plan = null!;
        private LiteratureReport? _literature;
        private string? _directive;
        private readonly List<Task> _verifications = [];
        private CancellationTokenSource _checks = null!;
        /// <summary>How long a cycle that has finished its steps waits for reference checks still running.</summary>
        private static readonly TimeSpan ReferenceCheckGrace = TimeSpan.FromSeconds(10);
        private int PromptPapers => settings.LiteraturePapers > 0 ? settings.LiteraturePapers : Agents.PromptPapers.Default;

        private CancellationToken Token => _cts.Token;

        public async Task ExecuteAsync()
        {
            _cts = CancellationTokenSource.CreateLinkedTokenSource(outer, _deadline.Token);
            _checks = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token);
            var started = s.Clock.GetUtcNow();
            state.Rerate(settings.VoteWeight);
            var cycle = state.StartCycle();
            _directive = state.TakeDirective();
            var outcome = CycleOutcome.Completed;
            string? message = null;
            using var gate = new SemaphoreSlim(Math.Max(1, settings.MaxParallelCalls));
            var before = state.Snapshot();
            _plan = CyclePlan.For(settings, before);
            _context = new AgentContext(state.Goal, settings, call with { Usage = _meter, Concurrency = gate }, before.LatestMetaReview)
            {
                Directive = _directive,
            };
            Emit(new CycleStarted(cycle));
            try
            {
                await LiteratureAsync();
                await GenerateAsync();
                await ReviewPendingAsync(CycleStep.Reflection);
                await EmbedAsync(CycleStep.Proximity);
                await RankAsync(CycleStep.Ranking, NewcomersOf(cycle), _plan.MatchBudget, allowDebate: _plan.Debate);
                await EvolveAsync(cycle);
                await MetaReviewAsync(cycle);
                await VerificationsAsync();
                if (_failures.Count > 0)
                {
                    outcome = CycleOutcome.CompletedWithFailures;
                    message = $"{_failures.Count} item(s) failed; the rest of the cycle completed.";
                }
            }
            catch (OperationCanceledException) when (_fatal is not null)
            {
                outcome = _fatal.Kind == LlmErrorKind.LimitReached ? CycleOutcome.Blocked : CycleOutcome.Failed;
                message = _fatal.Message;
            }
            catch (OperationCanceledException) when (_deadline.IsCancellationRequested && !outer.IsCancellationRequested)
            {
                outcome = CycleOutcome.TimedOut;
                message = $"The cycle reached its time limit of {FormatDeadline(settings.CycleDeadline)} and was stopped; everything finished before that is kept.";
                s.Logger.LogWarning("Cycle {Cycle} reached its deadline of {Deadline}", cycle, settings.CycleDeadline);
            }
            catch (OperationCanceledException)
            {
                outcome = CycleOutcome.Cancelled;
                message = "The cycle was cancelled; everything finished before that is kept.";
            }
            catch (Exception ex)
            {
                s.Logger.LogError(ex, "Cycle {Cycle} failed", cycle);
                outcome = CycleOutcome.Failed;
                message = "The cycle failed unexpectedly: " + ex.Message;
            }

            try
            {
                await VerificationsAsync(); // stopped early: they end with the cycle's token; what was checked is kept
                Finish(cycle, started, outcome, message);
            }
            finally
            {
                events.TryComplete();
                _checks.Dispose();
                _cts.Dispose();
                _deadline.Dispose();
            }
        }

        private void Finish(int cycle, DateTimeOffset started, CycleOutcome outcome, string? message)
        {
            // A cycle that made nothing at all is no success, whatever ran: say why, and when the provider was the
            // trouble, do not charge the visitor's allowance for it.
            var providerUnavailable = false;
            if (Volatile.Read(ref _produced) == 0 && _failures.Count > 0 && outcome is CycleOutcome.Completed or CycleOutcome.CompletedWithFailures or CycleOutcome.Failed)
            {
                providerUnavailable = Volatile.Read(ref _providerFailures) == _failures.Count;
                message = providerUnavailable
                    ? (_fatal?.Message ?? _failures[0].Error) + " The cycle produced nothing, so it does not count against your cycle limits."
                    : message ?? "The cycle produced nothing: " + _failures[0].Error;
                outcome = CycleOutcome.Failed;
            }
            var report = new CycleReport(cycle, started, s.Clock.GetUtcNow(), outcome, _steps.ToList(), _failures.ToList(), message)
            {
                ProviderUnavailable = providerUnavailable,
                Literature = _literature,
                Directive = _directive,
            };
            state.FinishCycle(report);
            Telemetry.CoScientistMetrics.Cycles.Add(1, new KeyValuePair<string, object?>("outcome", outcome.ToString()));
            s.Logger.LogInformation("Cycle {Cycle} {Outcome}: {Calls} LLM calls, ${Cost}, {Failures} failures, {Seconds:F1} s",
                cycle, outcome, report.LlmCalls, report.CostUsd, report.Failures.Count, report.Duration.TotalSeconds);
            Emit(new CycleCompleted(report));
        }

        /// <summary>
        /// Searches the literature and keeps the best new papers. Only the query call can fail the step's item (and a
        /// stopping error stops the cycle, as anywhere); sources that fail are reported and the cycle goes on.
        /// </summary>
        private async Task LiteratureAsync()
        {
            if (_plan.LiteratureQueryCalls > 0)
            {
                var goal = state.Goal;
                IReadOnlyList<string>? queries = null;
                var known = state.Snapshot().Papers;
                await RunItemsAsync(CycleStep.Literature, ["search"], _ => "search queries", async (_, ct) =>
                {
                    string? note = null;
                    try
                    {
                        queries = await s.Literature.QueriesAsync(_context, ct);
                    }
                    catch (Exception ex) when (ex is LlmException { StopsCycle: false } or LlmOutputException)
                    {
                        // The search still runs, on the goal's own words; the failed call is reported like any other.
                        Fail(CycleStep.Literature, "search queries", ex);
                        note = "The search queries could not be written (" + ex.Message.TrimEnd('.') + "); the goal's own words were searched.";
                        queries = LiteratureAgent.FallbackQueries(goal);
                    }
                    var search = await s.Literature.SearchAsync(goal, queries, known, settings.LiteraturePapers, ct);
                    var added = state.AddPapers(search.Candidates);
                    _literature = new LiteratureReport(queries, search.Sources, added.Count) { QueryNote = note, OffTopic = search.OffTopic };
                    Emit(new LiteratureSearched(_literature, added));
                    if (_literature.AllSourcesFailed)
                        s.Logger.LogWarning("Cycle literature search found nothing: {Summary}", _literature.Summary());
                });
            }
            // Papers are kept without their embeddings; a restored research computes them again here.
            state.SetPaperEmbeddings(await s.Literature.EmbedAsync(state.Snapshot().Papers, Token));
            _context = _context with { Papers = Agents.PromptPapers.ForGoal(state.Snapshot().Papers, PromptPapers) };
        }

        // The scientist's own hypotheses are added between cycles and enter the tournament in the next one.
        private static Func<Hypothesis, bool> NewcomersOf(int cycle) =>
            h => (h.CycleCreated == cycle || h.Origin == HypothesisOrigin.Scientist) && h.MatchesPlayed == 0;

        private async Task GenerateAsync()
        {
            var existing = state.Snapshot().Hypotheses.Select(h => h.Title).ToList();
            var batches = _plan.GenerationBatches.Select((count, i) => (Batch: i + 1, Count: count)).ToList();
            var seen = new HashSet<string>(existing.Select(Normalise));
            await RunItemsAsync(CycleStep.Generation, batches, b => $"batch {b.Batch}", async (b, ct) =>
            {
                var drafts = await s.Generation.GenerateAsync(_context, b.Count, existing, b.Batch, ct);
                foreach (var draft in drafts)
                {
                    lock (seen)
                        if (!seen.Add(Normalise(draft.Title))) continue;
                    Emit(new HypothesisAdded(state.Add(draft)));
                }
            });
        }

        private Task ReviewPendingAsync(CycleStep step, bool finishStep = true)
        {
            var snapshot = state.Snapshot();
            var pending = snapshot.Hypotheses.Where(h => h.Review is null).ToList();
            return RunItemsAsync(step, pending, h => h.Id, async (h, ct) =>
            {
                try
                {
                    var review = await ReviewGroundedAsync(step, h, snapshot.Papers, ct);
                    state.Update(h.Id, x => x with { Review = review, ReviewError = null });
                    Emit(new ReviewCompleted(h.Id, review));
                    // A cycle without the Literature step (a local model's, say) checks nothing outside either.
                    if (s.Literature.Enabled && settings.LiteraturePapers > 0 && review.References.Count > 0)
                        VerifyLater(h.Id, review.References);
                }
                catch (LlmException ex)
                {
                    state.Update(h.Id, x => x with { ReviewError = ex.Message });
                    throw;
                }
            }, finishStep);
        }

        /// <summary>
        /// One review, grounded in the papers closest to the hypothesis: they are listed in its prompt and shown as its
        /// closest prior work. References the model adds are checked: one that is a retrieved paper becomes a citation
        /// of it; the others are looked up in Crossref and arXiv (when the deployment searches the literature).
        /// </summary>
        private async Task<Review> ReviewGroundedAsync(CycleStep step, Hypothesis h, IReadOnlyList<ResearchPaper> papers, CancellationToken ct)
        {
            IReadOnlyList<PriorWork> closest = [];
            if (papers.Count > 0)
            {
                var vector = h.Embedding ?? await s.Literature.EmbedAsync(h.Describe(), ct);
                if (h.Embedding is null) state.Update(h.Id, x => x with { Embedding = vector });
                closest = LiteratureAgent.ClosestPriorWork(vector, papers);
            }
            var shown = closest.Take(PromptPapers).Select(c => c.PaperNumber).ToHashSet();
            var review = await s.Reflection.ReviewAsync(_context with { Step = step, Papers = papers.Where(p => shown.Contains(p.Number)).ToList() }, h, ct);

            var citations = review.Citations.ToList();
            var others = new List<Reference>();
            foreach (var reference in review.References)
            {
                var paper = papers.FirstOrDefault(p => LiteratureAgent.Names(reference, p.Paper));
                if (paper is null) others.Add(reference);
                else citations.Add(paper.Number);
            }
            return review with
            {
                Citations = state.KnownPapers(citations),
                References = others,
                ClosestPriorWork = closest.Take(LiteratureAgent.PriorWorkShown).ToList(),
                LikelyNotNovel = closest.Count > 0 && closest[0].Similarity >= LiteratureAgent.NotNovelSimilarity,
            };
        }

        /// <summary>
        /// Checks a review's references in the background: a library lookup must not hold up the tournament, and a slow
        /// or failing library could. Until checked they show as unverified; the cycle waits for the checks only at its
        /// end, for at most <see cref="ReferenceCheckGrace"/>, and a check unfinished then leaves its reference unverified.
        /// </summary>
        private void VerifyLater(string hypothesisId, IReadOnlyList<Reference> references)
        {
            lock (_verifications)
                _verifications.Add(Task.Run(async () =>
                {
                    try
                    {
                        var verified = await Task.WhenAll(references.Select(VerifyOneAsync));
                        var updated = state.Update(hypothesisId, x => x.Review is null ? x : x with { Review = x.Review with { References = verified } });
                        if (updated.Review is { } review) Emit(new ReviewCompleted(hypothesisId, review));
                    }
                    catch (Exception ex)
                    {
                        // The verifier answers rather than throws; this is a bug, and the references simply stay unchecked.
                        s.Logger.LogError(ex, "Checking the references of {Hypothesis} failed", hypothesisId);
                    }
                }, CancellationToken.None));
        }

        private async Task<Reference> VerifyOneAsync(Reference reference)
        {
            try
            {
                return await s.Verifier.VerifyAsync(reference, _checks.Token);
            }
            catch (OperationCanceledException) when (_checks.IsCancellationRequested)
            {
                return reference with { Status = ReferenceStatus.Unverified, Note = "The check did not finish before the cycle ended." };
            }
        }

        private async Task VerificationsAsync()
        {
            Task[] pending;
            lock (_verifications) pending = [.. _verifications];
            if (pending.Length == 0) return;
            try
            {
                await Task.WhenAll(pending).WaitAsync(ReferenceCheckGrace, s.Clock);
            }
            catch (TimeoutException)
            {
                s.Logger.LogWarning("Reference checks were still running {Grace} after the cycle's last step; the rest stay unverified", ReferenceCheckGrace);
                _checks.Cancel();
                await Task.WhenAll(pending);
            }
        }

        private async Task EmbedAsync(CycleStep step)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var pending = state.Snapshot().Hypotheses.Count(h => h.Embedding is null);
            Emit(new StepStarted(step, pending));
            var (embedded, flagged) = await s.Proximity.UpdateAsync(state, settings.NearDuplicateThreshold, Token);
            var duplicates = state.Snapshot().Hypotheses.Count(h => h.IsNearDuplicate);
            Emit(new ProximityUpdated(embedded, duplicates));
            Emit(new StepProgress(step, pending, pending, _meter.TotalCost));
            if (step == CycleStep.Proximity)
                FinishStep(step, 0, watch.Elapsed);
            if (flagged > 0)
                s.Logger.LogInformation("Flagged {Count} near-duplicate hypotheses", flagged);
        }

        private async Task EvolveAsync(int cycle)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var plans = EvolutionAgent.Plan(state.Snapshot().Ranked, settings.TopK, _plan.Evolutions, cycle);
            var failuresBefore = _failures.Count;
            await RunItemsAsync(CycleStep.Evolution, plans, p => $"{p.Strategy} of {string.Join("+", p.Parents.Select(x => x.Id))}", async (p, ct) =>
            {
                var draft = await s.Evolution.EvolveAsync(_context, p, ct);
                var child = state.Add(draft, HypothesisOrigin.Evolved, p.Parents.Select(x => x.Id).ToList(), p.Strategy);
                Emit(new HypothesisAdded(child));
            }, finishStep: false);
            // Offspring are reviewed, embedded and play their entry matches within the Evolution step.
            await ReviewPendingAsync(CycleStep.Evolution, finishStep: false);
            await EmbedAsync(CycleStep.Evolution);
            var offspring = state.Snapshot().Hypotheses.Count(h => h.CycleCreated == cycle && h.Origin == HypothesisOrigin.Evolved);
            await RankAsync(CycleStep.Evolution, h => h.Origin == HypothesisOrigin.Evolved && h.MatchesPlayed == 0, offspring, allowDebate: false);
            FinishStep(CycleStep.Evolution, _failures.Count - failuresBefore, watch.Elapsed);
        }

        private Task MetaReviewAsync(int cycle) =>
            RunItemsAsync(CycleStep.MetaReview, [cycle], _ => "meta-review", async (c, ct) =>
            {
                var snapshot = state.Snapshot();
                var review = await s.MetaReviewer.ReviewAsync(_context, c, snapshot.Ranked, snapshot.Matches, ct);
                state.AddMetaReview(review);
                Emit(new MetaReviewWritten(review));
            });

        /// <summary>Runs one step's items concurrently (the LLM layer applies the parallel bound per call).</summary>
        private async Task RunItemsAsync<T>(CycleStep step, IReadOnlyList<T> items, Func<T, string> label,
            Func<T, CancellationToken, Task> work, bool finishStep = true, StepCounter? counter = null)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var failuresBefore = _failures.Count;
            if (counter is null)
            {
                counter = new StepCounter(items.Count);
                Emit(new StepStarted(step, items.Count));
            }
            await Task.WhenAll(items.Select(async item =>
            {
                try
                {
                    if (_fatal is not null) return; // the cycle is stopping: start nothing new
                    await work(item, Token);
                }
                catch (OperationCanceledException) when (Token.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    Fail(step, label(item), ex);
                }
                Emit(new StepProgress(step, Interlocked.Increment(ref counter.Done), counter.Total, _meter.TotalCost));
            }));
            if (finishStep)
                FinishStep(step, _failures.Count - failuresBefore, watch.Elapsed);
            Token.ThrowIfCancellationRequested();
            if (_fatal is not null)
                throw new OperationCanceledException(_fatal.Message);
        }

        private void Fail(CycleStep step, string item, Exception ex)
        {
            var message = ex is LlmException ? ex.Message : "Unexpected error: " + ex.Message;
            if (ex is not LlmException)
                s.Logger.LogError(ex, "{Step} item {Item} failed", step, item);
            lock (_failures)
            {
                _failures.Add(new ItemFailure(step, item, message));
                // Only failures that certainly cost nothing (never reached, or refused with a 429 or 5xx) earn the allowance back.
                if (ex is LlmException { IsProviderUnavailable: true, NeverCharged: true })
                    _providerFailures++;
            }
            Emit(new ItemFailed(step, item, message));
            if (ex is LlmException { StopsCycle: true } fatal)
            {
                Interlocked.CompareExchange(ref _fatal, fatal, null);
                // At a spending limit, calls already in flight are reserved and paid for: let them finish
                // and keep their results. Other stopping errors (bad key, no credit) fail them all anyway.
                if (fatal.Kind != LlmErrorKind.LimitReached)
                    _cts.Cancel();
            }
        }

        private void FinishStep(CycleStep step, int failures, TimeSpan elapsed)
        {
            var report = _meter.Report(step, failures, elapsed);
            _steps.Add(report);
            Emit(new StepFinished(step, report));
        }

        private void Emit(CycleEvent e)
        {
            if (e is HypothesisAdded or ReviewCompleted or MatchPlayed or MetaReviewWritten)
                Interlocked.Increment(ref _produced);
            events.TryWrite(e with { At = s.Clock.GetUtcNow() });
        }

        private static string FormatDeadline(TimeSpan deadline) =>
            deadline.TotalMinutes >= 1 ? $"{deadline.TotalMinutes:0.#} minutes" : $"{deadline.TotalSeconds:0} seconds";

        private static string Normalise(string title) => new string(title.Where(char.IsLetterOrDigit).ToArray()).ToLowerInvariant();
    }
}
