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
        var visitorKey = _visitorKey;
        var keyKind = visitorKey is null ? KeyKind.Operator : KeyKind.Visitor;
        var goal = form.Goal?.Trim() ?? "";
        var call = new LlmCallContext { SessionId = Id, ClientHash = _client.Client.LedgerHash, KeyKind = keyKind, VisitorApiKey = visitorKey };
        var request = new CycleRequest(goal, form.ToSettings(_research, form.Model), keyKind, _client.Client, Id, Quota, null);
        var result = await _host.StartCycleAsync(_live, request, call, cancellationToken);
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
        Quota.Touch();
        _live.Cancel();
    }
}
