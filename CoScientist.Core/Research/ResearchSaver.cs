using CoScientist.Core.Storage;
using Microsoft.Extensions.Logging;

namespace CoScientist.Core.Research;

/// <summary>
/// Saves a research as its cycle progresses: every finished item (the papers found, a hypothesis, a review, a
/// match, a meta-review) as it happens, and the whole state with its report when the cycle ends, so a crash
/// loses at most the items in flight. A save that fails is logged and does not stop the cycle.
/// </summary>
internal sealed class ResearchSaver(IResearchStore store, TimeProvider clock, ILogger logger)
{
    public async Task SaveAsync(LiveResearch research, CycleEvent e, bool shuttingDown)
    {
        if (research.Record is null) return;
        var id = research.Id;
        try
        {
            switch (e)
            {
                case CycleStarted started:
                    // The cycle took the owner's directive: it is no longer pending. Its settings become the research's,
                    // so a page reopened later offers them (the weight of votes, say).
                    await store.SaveChangesAsync(id, new ResearchChanges
                    {
                        Directive = new DirectiveChange(research.Snapshot().PendingDirective),
                        Summary = Summary(research, running: started.Cycle) with { Settings = research.LastSettings },
                    });
                    break;
                case HypothesisAdded added:
                    await store.SaveHypothesisAsync(id, added.Hypothesis);
                    break;
                case ReviewCompleted reviewed:
                    await store.SaveHypothesisAsync(id, research.State.Get(reviewed.HypothesisId));
                    break;
                case MatchPlayed played:
                    await store.SaveChangesAsync(id, new ResearchChanges
                    {
                        Hypotheses = [research.State.Get(played.Match.HypothesisAId), research.State.Get(played.Match.HypothesisBId)],
                        Matches = [played.Match],
                    });
                    break;
                case ProximityUpdated:
                    await store.SaveChangesAsync(id, new ResearchChanges { Hypotheses = research.Snapshot().Hypotheses });
                    break;
                case LiteratureSearched searched:
                    await store.SaveChangesAsync(id, new ResearchChanges { Papers = searched.Added });
                    break;
                case MetaReviewWritten written:
                    await store.SaveMetaReviewAsync(id, written.MetaReview);
                    break;
                case CycleCompleted completed:
                    var snapshot = research.Snapshot();
                    // A cycle the server cut short on its way down is interrupted, not cancelled by its owner.
                    var report = shuttingDown && completed.Report.Outcome == CycleOutcome.Cancelled
                        ? completed.Report with { Outcome = CycleOutcome.Interrupted, Message = "The server restarted while this cycle ran. Everything it finished is kept." }
                        : completed.Report;
                    await store.SaveChangesAsync(id, new ResearchChanges
                    {
                        Hypotheses = snapshot.Hypotheses,
                        Matches = snapshot.Matches,
                        MetaReviews = snapshot.MetaReviews,
                        Reports = [report],
                        Papers = snapshot.Papers,
                        Votes = snapshot.Votes,
                        Summary = Summary(research, running: null),
                    });
                    break;
            }
        }
        catch (StorageUnavailableException ex)
        {
            logger.LogError("Research {Research} could not be saved after {Event}: {Error}", id, e.GetType().Name, ex.Message);
        }
    }

    private ResearchSummary Summary(LiveResearch research, int? running)
    {
        var snapshot = research.Snapshot();
        return new ResearchSummary(snapshot.Reports.Count(r => r.Outcome != CycleOutcome.Interrupted || r.Steps.Count > 0),
            snapshot.Reports.Sum(r => r.CostUsd), clock.GetUtcNow(), running);
    }
}
