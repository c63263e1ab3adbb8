using CoScientist.Core.Research;

namespace CoScientist.Core.Cost;

/// <summary>An admitted cycle's claim: its server slot and its ledger row, released exactly once when it ends.</summary>
public sealed class CycleTicket(CycleAdmission admission, CycleRequest request, ResearchSettings settings, CycleEstimate? estimate,
    CycleLease lease, long ledgerId)
{
    private int _closed;

    public CycleRequest Request { get; } = request;
    /// <summary>The clamped settings with the resolved model.</summary>
    public ResearchSettings Settings { get; } = settings;
    public CycleEstimate? Estimate { get; } = estimate;
    public long LedgerId { get; } = ledgerId;
    internal CycleLease Lease { get; } = lease;

    public void Close(CycleReport? report, decimal costSoFar)
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
            admission.Close(this, report, costSoFar);
    }

    /// <summary>The cycle was admitted but never ran: everything it claimed is given back.</summary>
    public void Abandon()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
            admission.Abandon(this);
    }
}
