using CoScientist.Core.Llm;
using CoScientist.Core.Research;

namespace CoScientist.Core.Cost;

/// <summary>Someone asks to run the next cycle of a research.</summary>
public sealed record CycleRequest(string Goal, ResearchSettings Settings, KeyKind KeyKind, ClientKey Client, string SessionId,
    SessionQuota Quota, ResearchSnapshot? Research);

/// <summary>The one answer to "may this cycle run?": a ticket, or the input error or limit that refuses it.</summary>
public sealed record AdmissionResult
{
    public CycleTicket? Ticket { get; init; }
    /// <summary>Something to fix in the request (shown by the form).</summary>
    public string? InputError { get; init; }
    /// <summary>A limit that refuses the cycle for now (shown as the limit message).</summary>
    public LimitBlock? Block { get; init; }
    public CycleEstimate? Estimate { get; init; }
    public bool IsAdmitted => Ticket is not null;
}
