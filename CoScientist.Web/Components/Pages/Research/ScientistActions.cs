using CoScientist.Core.Research;
using CoScientist.Web.Session;

namespace CoScientist.Web.Components.Pages.Research;

/// <summary>
/// What the owner can change from the workspace, cascaded from the page to the cards and panels that offer it. Readers of
/// a shared link get none: they see the pins, rejections, votes and directives, and no control to change them. Each
/// action returns null when done, or why it was refused.
/// </summary>
public sealed record ScientistActions(
    Func<HypothesisDraft, Task<string?>> AddHypothesis,
    Func<string, string, string, Task<string?>> Vote,
    Func<string, bool, Task<string?>> SetPinned,
    Func<string, bool, Task<string?>> SetRejected,
    Func<string?, Task<string?>> SetDirective)
{
    /// <summary>The session's actions when it may steer the research shown; null otherwise.</summary>
    public static ScientistActions? For(ResearchSession session) => session.CanSteer
        ? new(session.AddHypothesisAsync, session.VoteAsync, session.SetPinnedAsync, session.SetRejectedAsync, session.SetDirectiveAsync)
        : null;
}
