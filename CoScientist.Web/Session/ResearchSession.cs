using CoScientist.Core.Agents.Supervisor;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;

namespace CoScientist.Web.Session;

/// <summary>
/// One visitor's research, scoped to the Blazor circuit: it owns the research state, the running
/// cycle and its cancellation. Components subscribe to <see cref="Changed"/>; closing the tab
/// disposes the circuit's scope, which cancels the run.
/// </summary>
public sealed class ResearchSession(CycleSupervisor supervisor, ILogger<ResearchSession> logger) : IAsyncDisposable
{
    public const int MaxGoalLength = 2000;

    private readonly Lock _gate = new();
    private CancellationTokenSource? _runCts;
    private Task _run = Task.CompletedTask;
    private IReadOnlyList<StepView> _steps = StepView.Initial();
    private readonly List<ItemFailure> _failures = [];

    public string Id { get; } = Guid.NewGuid().ToString("N")[..12];
    public ResearchState? State { get; private set; }
    public SessionStatus Status { get; private set; } = SessionStatus.Idle;
    public string StatusMessage { get; private set; } = "Enter a research goal and run a cycle.";
    public int? RunningCycle { get; private set; }
    public decimal RunningCost { get; private set; }
    public DateTimeOffset? RunStartedAt { get; private set; }
    public IReadOnlyList<StepView> Steps => _steps;
    public IReadOnlyList<ItemFailure> Failures { get { lock (_gate) return _failures.ToList(); } }
    public bool IsRunning => Status == SessionStatus.Running;

    /// <summary>Raised (off the renderer's thread) whenever anything visible changed.</summary>
    public event Func<Task>? Changed;

    public ResearchSnapshot? Snapshot() => State?.Snapshot();

    /// <summary>Checks the request, then runs one cycle in the background. Returns an error message, or null.</summary>
    public string? StartCycle(string? goal, ResearchSettings settings, LlmCallContext call)
    {
        var text = goal?.Trim() ?? "";
        if (text.Length == 0)
            return "Enter a research goal first.";
        if (text.Length > MaxGoalLength)
            return $"The research goal is {text.Length:N0} characters; the limit is {MaxGoalLength:N0}. Shorten it and try again.";
        lock (_gate)
        {
            if (IsRunning)
                return "A cycle is already running; wait for it or cancel it.";
            if (State is null || !string.Equals(State.Goal, text, StringComparison.Ordinal))
                State = new ResearchState(text);
            _runCts = new CancellationTokenSource();
            _failures.Clear();
            _steps = StepView.Initial();
            Status = SessionStatus.Running;
            RunningCycle = State.Cycle + 1;
            RunningCost = 0;
            RunStartedAt = DateTimeOffset.UtcNow;
            StatusMessage = $"Cycle {RunningCycle} is running.";
            var state = State;
            var token = _runCts.Token;
            _run = Task.Run(() => RunAsync(state, settings, call with { SessionId = Id }, token), CancellationToken.None);
        }
        _ = NotifyAsync();
        return null;
    }

    public void Cancel()
    {
        lock (_gate)
            _runCts?.Cancel();
    }

    private async Task RunAsync(ResearchState state, ResearchSettings settings, LlmCallContext call, CancellationToken token)
    {
        try
        {
            await foreach (var e in supervisor.RunCycleAsync(state, settings, call, token))
            {
                Apply(e);
                await NotifyAsync();
            }
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Session {Session}: the cycle ended with an error", Id);
            Status = SessionStatus.Failed;
            StatusMessage = "The cycle failed unexpectedly. Everything produced before the failure is kept.";
            await NotifyAsync();
        }
    }

    private void Apply(CycleEvent e)
    {
        lock (_gate)
        {
            switch (e)
            {
                case StepStarted s:
                    SetStep(s.Step, v => v with { State = StepState.Running, PhaseBase = v.Done, Total = v.Done + s.Total });
                    break;
                case StepProgress p:
                    RunningCost = p.CostSoFar;
                    SetStep(p.Step, v => v with { Done = Math.Min(v.Total, Math.Max(v.Done, v.PhaseBase + p.Done)) });
                    break;
                case StepFinished f:
                    SetStep(f.Step, v => v with { State = StepState.Done, Done = v.Total, CostUsd = f.Report.CostUsd, Failures = f.Report.Failures, Elapsed = f.Report.Elapsed });
                    break;
                case ItemFailed failed:
                    _failures.Add(new ItemFailure(failed.Step, failed.Item, failed.Error));
                    break;
                case CycleCompleted done:
                    Finish(done.Report);
                    break;
            }
        }
    }

    private void Finish(CycleReport report)
    {
        RunningCost = report.CostUsd;
        RunningCycle = null;
        (Status, StatusMessage) = report.Outcome switch
        {
            CycleOutcome.Completed => (SessionStatus.Completed, $"Cycle {report.Cycle} completed: {report.LlmCalls} LLM calls, ${report.CostUsd:0.0000}."),
            CycleOutcome.CompletedWithFailures => (SessionStatus.Completed,
                $"Cycle {report.Cycle} completed with {report.Failures.Count} failed item(s): {report.LlmCalls} LLM calls, ${report.CostUsd:0.0000}."),
            CycleOutcome.Cancelled => (SessionStatus.Idle, $"Cycle {report.Cycle} was cancelled. Everything finished before that is kept."),
            CycleOutcome.Blocked => (SessionStatus.Blocked, report.Message ?? "A limit stopped the cycle."),
            _ => (SessionStatus.Failed, $"Cycle {report.Cycle} failed: {report.Message}"),
        };
    }

    private void SetStep(CycleStep step, Func<StepView, StepView> change) =>
        _steps = _steps.Select(v => v.Step == step ? change(v) : v).ToList();

    private async Task NotifyAsync()
    {
        if (Changed is not { } handlers) return;
        foreach (var handler in handlers.GetInvocationList().Cast<Func<Task>>())
        {
            try
            {
                await handler();
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Session {Session}: a subscriber failed to update", Id);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Changed = null;
        CancellationTokenSource? cts;
        lock (_gate)
            cts = _runCts;
        cts?.Cancel();
        try
        {
            await _run.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            logger.LogWarning("Session {Session}: the cycle did not stop within 10 s of the tab closing", Id);
        }
        cts?.Dispose();
    }
}
