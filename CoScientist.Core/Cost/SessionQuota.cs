using CoScientist.Core.Llm;

namespace CoScientist.Core.Cost;

/// <summary>
/// One session's (one circuit's) counters: cycles completed, LLM-backed requests made (every cycle
/// run, whatever its outcome) and idle time. Per-client and server-wide limits back these, so a
/// new tab that starts with fresh counters still resets nothing that matters.
/// </summary>
public sealed class SessionQuota(DeploymentOptions deployment, CostControlOptions costs, TimeProvider clock)
{
    private DateTimeOffset _lastActivity = clock.GetUtcNow();
    // A cycle ends on its own thread while the circuit reads and counts: the counters change atomically.
    private int _cyclesUsed, _requestsUsed;

    public int CyclesUsed => Volatile.Read(ref _cyclesUsed);
    public int RequestsUsed => Volatile.Read(ref _requestsUsed);
    public int MaxCycles => deployment.MaxCyclesPerSession;
    public int MaxRequests => costs.PerSessionLimitRequests;
    public TimeSpan IdleTimeout => TimeSpan.FromMinutes(deployment.SessionTimeoutMinutes);

    public void Touch() => _lastActivity = clock.GetUtcNow();

    public bool IsExpired => clock.GetUtcNow() - _lastActivity >= IdleTimeout;

    /// <summary>Null when this session may start another cycle on the given key.</summary>
    public LimitBlock? Check(KeyKind keyKind)
    {
        if (IsExpired)
            return new LimitBlock(LimitKind.SessionExpired,
                $"This session ended after {deployment.SessionTimeoutMinutes} minutes without activity. Reload the page to start a new one.", null, OwnKeyHelps: false);
        if (keyKind == KeyKind.Visitor)
            return null;
        if (CyclesUsed >= MaxCycles)
            return new LimitBlock(LimitKind.SessionCycles,
                $"This session has used {CyclesUsed}/{MaxCycles} cycles on the shared key. The count starts again in a new session (reload the page), within your hourly limit.", null, OwnKeyHelps: true);
        if (RequestsUsed >= MaxRequests)
            return new LimitBlock(LimitKind.SessionRequests,
                $"This session has made {RequestsUsed}/{MaxRequests} requests on the shared key. The count starts again in a new session (reload the page), within your hourly limit.", null, OwnKeyHelps: true);
        return null;
    }

    public void RecordRequest(KeyKind keyKind)
    {
        Touch();
        if (keyKind == KeyKind.Operator) Interlocked.Increment(ref _requestsUsed);
    }

    /// <summary>A run that produced nothing because the provider was unreachable gives its request back.</summary>
    public void ReturnRequest(KeyKind keyKind)
    {
        if (keyKind == KeyKind.Operator && Interlocked.Decrement(ref _requestsUsed) < 0) Interlocked.Increment(ref _requestsUsed);
    }

    public void RecordCompletedCycle(KeyKind keyKind)
    {
        Touch();
        if (keyKind == KeyKind.Operator) Interlocked.Increment(ref _cyclesUsed);
    }
}
