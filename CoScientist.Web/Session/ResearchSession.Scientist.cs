using CoScientist.Core.Research;

namespace CoScientist.Web.Session;

/// <summary>The scientist in the loop: the owner's own hypotheses, votes, pins, rejections and directive.</summary>
public sealed partial class ResearchSession
{
    private const string ReadOnlyRefusal = "This research is read-only here: only its owner can change it.";

    /// <summary>The research shown is saved and this browser owns it (not through a share link): it may steer it.</summary>
    public bool CanSteer => IsOwner && IsSaved;

    public Task<string?> AddHypothesisAsync(HypothesisDraft draft) =>
        Steer(() => _host.AddHypothesisAsync(_live, OwnerId, draft));

    public Task<string?> VoteAsync(string aId, string bId, string winnerId) =>
        Steer(() => _host.VoteAsync(_live, OwnerId, aId, bId, winnerId));

    public Task<string?> SetPinnedAsync(string hypothesisId, bool pinned) =>
        Steer(() => _host.SetPinnedAsync(_live, OwnerId, hypothesisId, pinned));

    public Task<string?> SetRejectedAsync(string hypothesisId, bool rejected) =>
        Steer(() => _host.SetRejectedAsync(_live, OwnerId, hypothesisId, rejected));

    public Task<string?> SetDirectiveAsync(string? directive) =>
        Steer(() => _host.SetDirectiveAsync(_live, OwnerId, directive));

    private Task<string?> Steer(Func<Task<string?>> action)
    {
        if (_readOnly)
        {
            _logger.LogWarning("Session {Session}: a change was asked for through a read-only link; refused", Id);
            return Task.FromResult<string?>(ReadOnlyRefusal);
        }
        Quota.Touch();
        return action();
    }
}
