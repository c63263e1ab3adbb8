using CoScientist.Core.Telemetry;
using CoScientist.Web.Session;

namespace CoScientist.Web.Admin;

/// <summary>Response times and error rates per model and step, session durations, and the models visitors asked for in vain.</summary>
public sealed record CallHealthReport(IReadOnlyList<CallHealthRow> Calls, SessionDurations Sessions, IReadOnlyList<RefusedModel> RefusedModels)
{
    public static readonly CallHealthReport Empty = new([], new SessionDurations(0, null, null), []);
}

/// <summary>Reads the in-memory windows for the admin report; each figure is since this server started, within its window.</summary>
public sealed class CallHealthDashboard(CallHealth calls, RefusedModels refused, SessionRegistry sessions)
{
    public CallHealthReport Build() => new(calls.Snapshot(), sessions.Durations(), refused.Top(10));
}
