using CoScientist.Core.Storage;
using Microsoft.Extensions.Logging;

namespace CoScientist.Core.Research;

/// <summary>
/// The scientist in the loop: what the owner of a saved research changes by hand. Each action checks the owner,
/// applies at once, is saved, and tells every page watching. Votes, pins, rejections and the directive may change
/// while a cycle runs (the running cycle reads them as they stand; the directive waits for the next cycle); a new
/// hypothesis may not, because the cycle's steps have already chosen what they review and rank. While another
/// instance of the site runs the cycle, changes are refused here (its in-memory state is the one the cycle reads).
/// Each returns null when done, or why it was refused.
/// </summary>
public sealed partial class ResearchHost
{
    public async Task<string?> AddHypothesisAsync(LiveResearch research, string ownerId, HypothesisDraft draft)
    {
        if (Refusal(research, ownerId) is { } refused) return refused;
        if (ScientistInput.Problems(draft) is { Count: > 0 } problems) return string.Join(" ", problems);
        if (research.IsRunning)
            return $"Cycle {research.RunningCycle} is running; add your hypothesis when it ends and it will enter the next one.";
        var added = research.State.Add(ScientistInput.Trimmed(draft), HypothesisOrigin.Scientist);
        return await SaveAsync(research, new ResearchChanges { Hypotheses = [added] });
    }

    public async Task<string?> VoteAsync(LiveResearch research, string ownerId, string aId, string bId, string winnerId)
    {
        if (Refusal(research, ownerId) is { } refused) return refused;
        Vote vote;
        try
        {
            vote = research.State.AddVote(aId, bId, winnerId, clock.GetUtcNow());
        }
        catch (Exception ex) when (ex is ArgumentException or KeyNotFoundException)
        {
            return "That vote does not name two hypotheses of this research.";
        }
        return await SaveAsync(research, new ResearchChanges { Votes = [vote] });
    }

    /// <summary>Pinning un-rejects: a hypothesis is kept or left out, not both.</summary>
    public Task<string?> SetPinnedAsync(LiveResearch research, string ownerId, string hypothesisId, bool pinned) =>
        ChangeAsync(research, ownerId, hypothesisId, h => h with { Pinned = pinned, Rejected = pinned ? false : h.Rejected });

    public Task<string?> SetRejectedAsync(LiveResearch research, string ownerId, string hypothesisId, bool rejected) =>
        ChangeAsync(research, ownerId, hypothesisId, h => h with { Rejected = rejected, Pinned = rejected ? false : h.Pinned });

    /// <summary>The directive the next cycle follows; blank clears it.</summary>
    public async Task<string?> SetDirectiveAsync(LiveResearch research, string ownerId, string? directive)
    {
        if (Refusal(research, ownerId) is { } refused) return refused;
        if (directive?.Trim().Length > ScientistInput.MaxDirective)
            return $"The directive is {directive.Trim().Length} characters long; at most {ScientistInput.MaxDirective} are allowed.";
        research.State.SetDirective(directive);
        return await SaveAsync(research, new ResearchChanges { Directive = new DirectiveChange(research.Snapshot().PendingDirective) });
    }

    private async Task<string?> ChangeAsync(LiveResearch research, string ownerId, string hypothesisId, Func<Hypothesis, Hypothesis> change)
    {
        if (Refusal(research, ownerId) is { } refused) return refused;
        Hypothesis changed;
        try
        {
            changed = research.State.Update(hypothesisId, change);
        }
        catch (KeyNotFoundException)
        {
            return $"This research has no hypothesis {hypothesisId}.";
        }
        return await SaveAsync(research, new ResearchChanges { Hypotheses = [changed] });
    }

    private static string? Refusal(LiveResearch research, string ownerId) => research.Record switch
    {
        null => "Run the first cycle of this research first.",
        { } record when record.OwnerId != ownerId => "Only the owner of this research can change it.",
        _ when research.RunsElsewhere => "A cycle of this research is running on another server of this site; change it when the cycle ends, or from the page that started it.",
        _ => null,
    };

    private async Task<string?> SaveAsync(LiveResearch research, ResearchChanges changes)
    {
        string? error = null;
        try
        {
            if (!await store.SaveChangesAsync(research.Id, changes))
                error = "This research no longer exists.";
        }
        catch (StorageUnavailableException ex)
        {
            logger.LogError("Research {Research}: the owner's change could not be saved: {Error}", research.Id, ex.Message);
            error = ex.Message + " The change shows here but may be lost when the server restarts.";
        }
        await research.NotifyAsync();
        return error;
    }
}
