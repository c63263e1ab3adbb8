using CoScientist.Core.Llm;

namespace CoScientist.Web.Session;

public sealed partial class ResearchSession
{
    /// <summary>
    /// Checks a visitor's own key with OpenRouter and, if it is good, uses it for this session's
    /// calls. The key stays in this circuit's memory only: never logged, stored or sent back.
    /// </summary>
    public async Task<KeyCheck> ApplyOwnKeyAsync(string? key, CancellationToken cancellationToken = default)
    {
        Quota.Touch();
        if (IsRunning)
            return new KeyCheck(false, "Wait for the running cycle to finish before changing keys.");
        var check = await _keyClient.CheckAsync(key, cancellationToken);
        if (check.IsValid)
        {
            _visitorKey = key!.Trim();
            if (_limitMessage is not null && !Quota.IsExpired)
                _limitMessage = null;
            _logger.LogInformation("Session {Session} switched to the visitor's own key", Id);
            await NotifyAsync();
        }
        return check;
    }

    public async Task ForgetOwnKeyAsync()
    {
        Quota.Touch();
        if (IsRunning) return;
        _visitorKey = null;
        await NotifyAsync();
    }
}
