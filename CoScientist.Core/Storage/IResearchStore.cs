using CoScientist.Core.Research;

namespace CoScientist.Core.Storage;

/// <summary>
/// Durable research: records (owner, title, sharing) and their content (hypotheses, matches, meta-reviews,
/// cycle reports). SQLite is the embedded default (<see cref="SqliteResearchStore"/>); a server database can
/// take its place behind this interface. Every method may throw <see cref="StorageUnavailableException"/>.
/// Methods that change one research return false when it does not exist (it may have just been deleted).
/// </summary>
public interface IResearchStore
{
    Task CreateAsync(ResearchRecord record);
    Task<ResearchRecord?> GetRecordAsync(string id);
    Task<ResearchRecord?> GetByShareTokenAsync(string shareToken);
    /// <summary>The owner's research, most recently active first.</summary>
    Task<IReadOnlyList<ResearchRecord>> ListByOwnerAsync(string ownerId);
    /// <summary>Research with a share link, most recently active first.</summary>
    Task<IReadOnlyList<ResearchRecord>> ListSharedAsync(int limit = 200);
    /// <summary>Research the operator pinned as examples, oldest first.</summary>
    Task<IReadOnlyList<ResearchRecord>> ListExamplesAsync();
    /// <summary>Research saved while a cycle ran: at start-up, each was interrupted by the previous process stopping.</summary>
    Task<IReadOnlyList<ResearchRecord>> InterruptedAsync();

    Task<bool> RenameAsync(string id, string title);
    /// <summary>Shares with a new token (<see cref="ResearchIds.New"/>), or revokes the link with null.</summary>
    Task<bool> SetShareTokenAsync(string id, string? shareToken);
    Task<bool> SetExampleAsync(string id, bool isExample);
    /// <summary>Keeps the goal's sentence embedding, made the first time research on a similar goal is looked for.</summary>
    Task<bool> SetGoalEmbeddingAsync(string id, float[] embedding);
    Task<bool> UpdateSummaryAsync(string id, ResearchSummary summary);
    /// <summary>Deletes the research and everything it holds.</summary>
    Task<bool> DeleteAsync(string id);

    /// <summary>Saves everything that changed in one transaction: cheap enough to call after every finished item.</summary>
    Task<bool> SaveChangesAsync(string researchId, ResearchChanges changes);
    Task<bool> SaveHypothesisAsync(string researchId, Hypothesis hypothesis);
    Task<bool> SaveMatchAsync(string researchId, Match match);
    Task<bool> SaveMetaReviewAsync(string researchId, MetaReview metaReview);
    Task<bool> SaveCycleReportAsync(string researchId, CycleReport report);
    /// <summary>
    /// Records that <paramref name="cycle"/> stopped with the process: an <see cref="CycleOutcome.Interrupted"/> report
    /// (unless the cycle's own report was saved) and no cycle running any more. False, and nothing changed, when the
    /// research is not saved as running that cycle (it ended meanwhile, or the next one runs).
    /// </summary>
    Task<bool> MarkInterruptedAsync(string researchId, int cycle, DateTimeOffset at);

    /// <summary>The research as saved, ready for <see cref="ResearchState.Restore"/>; null if there is none.</summary>
    Task<ResearchSnapshot?> LoadAsync(string id);

    /// <summary>
    /// Deletes research never shared and not pinned as an example whose last activity is before
    /// <paramref name="olderThan"/>; returns how many were deleted. Research with a cycle running is kept.
    /// </summary>
    Task<int> DeleteInactiveAsync(DateTimeOffset olderThan);
    Task<ResearchStoreStats> StatsAsync();
}
