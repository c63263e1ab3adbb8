using CoScientist.Core.Cost;
using CoScientist.Core.Llm;

namespace CoScientist.Web.Session;

public sealed partial class ResearchSession
{
    /// <summary>
    /// Asks the host to run the next cycle with this visitor's identity, quota and key. Returns an input
    /// error to show by the form, or null; a limit that refuses the run blocks the session with its
    /// message instead (nothing already produced is lost).
    /// </summary>
    public async Task<string?> StartCycleAsync(ResearchForm form, CancellationToken cancellationToken = default)
    {
        // The key is read once: forgetting it while this method awaits must not turn a visitor's run
        // into an operator-key run that believes it is the visitor's (uncapped).
        if (!IsOwner)
        {
            _logger.LogWarning("Session {Session}: a run was asked for on research it does not own; refused", Id);
            return "This research is read-only here: only its owner can run cycles.";
        }
        var visitorKey = _visitorKey;
        var keyKind = visitorKey is null ? KeyKind.Operator : KeyKind.Visitor;
        var goal = form.Goal?.Trim() ?? "";
        var call = new LlmCallContext { SessionId = Id, ClientHash = _client.Client.LedgerHash, KeyKind = keyKind, VisitorApiKey = visitorKey };
        // A different goal is a new line of research, with its own address; the same goal builds on what is there.
        if (_live.Record is not null && goal.Length > 0 && !string.Equals(goal, _live.Goal, StringComparison.Ordinal))
            Attach(_host.Create(), readOnly: false);
        var request = new CycleRequest(goal, form.ToSettings(_research, form.Model), keyKind, _client.Client, Id, Quota, null);
        var result = await _host.StartCycleAsync(_live, request, call, OwnerId, cancellationToken);
        if (result.Block is { } block)
        {
            _limitMessage = block.FullMessage;
            await NotifyAsync();
            return null;
        }
        if (result.IsAdmitted)
            _limitMessage = null;
        return result.InputError;
    }

    public void Cancel()
    {
        if (!IsOwner)
        {
            _logger.LogWarning("Session {Session}: a cancel was asked for on research it does not own; refused", Id);
            return;
        }
        Quota.Touch();
        _live.Cancel();
    }
}
