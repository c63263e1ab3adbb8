using CoScientist.Core.Agents.Supervisor;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using Microsoft.Extensions.Logging;

namespace CoScientist.Core.Research;

public sealed partial class LiveResearch
{
    /// <summary>Starts an admitted cycle in the background; false when one is already running.</summary>
    internal bool TryStart(CycleTicket ticket, LlmCallContext call, CycleSupervisor supervisor, ILogger logger, Action? onStarted = null)
    {
        lock (_gate)
        {
            if (IsRunning) return false;
            _runCts?.Dispose();
            _runCts = new CancellationTokenSource();
            _failures.Clear();
            _steps = StepView.Initial(literature: ticket.Settings.LiteraturePapers > 0);
            Status = ResearchStatus.Running;
            RunsElsewhere = false;
            StoppedByLimit = null;
            RunningCycle = State.Cycle + 1;
            RunningCost = 0;
            LastEstimate = ticket.Estimate;
            LastActualCost = null;
            LastSettings = ticket.Settings;
            StatusMessage = $"Cycle {RunningCycle} is running.";
            var state = State;
            var token = _runCts.Token;
            _run = Task.Run(() => RunAsync(state, ticket, call, supervisor, logger, token), CancellationToken.None);
        }
        onStarted?.Invoke();
        return true;
    }

    private async Task RunAsync(ResearchState state, CycleTicket ticket, LlmCallContext call, CycleSupervisor supervisor, ILogger logger,
        CancellationToken token)
    {
        try
        {
            await foreach (var e in supervisor.RunCycleAsync(state, ticket.Settings, call, token))
            {
                // The slot and the ledger row are released before "not running" shows, so a cycle started
                // at once is not refused for a slot this one still held.
                if (e is CycleCompleted done) ticket.Close(done.Report, RunningCost);
                await PublishAsync(e, logger);
            }
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Research {Research}: the cycle ended with an error", Id);
            ticket.Close(null, RunningCost);
            lock (_gate)
            {
                Status = ResearchStatus.Failed;
                StatusMessage = "The cycle failed unexpectedly. Everything produced before the failure is kept.";
                RunningCycle = null;
                LastActualCost = RunningCost;
            }
            await NotifyAsync();
        }
        finally
        {
            ticket.Close(null, RunningCost);
            Idle?.Invoke(this);
        }
    }

    /// <summary>Shows one event of the running cycle: applied, saved, then told to everyone watching.</summary>
    internal async Task PublishAsync(CycleEvent e, ILogger logger)
    {
        Apply(e);
        // Saved before anyone is told, so a link opened on the news finds it.
        if (Persist is { } persist)
        {
            try
            {
                await persist(e);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Research {Research}: saving after {Event} failed", Id, e.GetType().Name);
            }
        }
        await NotifyAsync(contentChanged: e is not (StepStarted or StepProgress or StepFinished or CallSettled or ItemFailed));
    }

    private void Apply(CycleEvent e)
    {
        lock (_gate)
        {
            switch (e)
            {
                case StepStarted s:
                    SetStep(s.Step, v => v with { State = StepState.Running, PhaseBase = v.Done, Total = v.Done + s.Total, StartedAt = v.StartedAt ?? s.At });
                    break;
                case StepProgress p:
                    RunningCost = p.CostSoFar;
                    SetStep(p.Step, v => v with { Done = Math.Min(v.Total, Math.Max(v.Done, v.PhaseBase + p.Done)) });
                    break;
                case StepFinished f:
                    SetStep(f.Step, v => v with { State = StepState.Done, Done = v.Total, CostUsd = f.Report.CostUsd, Failures = f.Report.Failures, Elapsed = f.Report.Elapsed });
                    break;
                case CallSettled settled:
                    RunningCost = settled.CycleCostUsd;
                    SetStep(settled.Step, v => v with { CostUsd = settled.StepCostUsd });
                    break;
                case LiteratureSearched searched:
                    SetStep(CycleStep.Literature, v => v with { Detail = searched.Report.Summary(), Literature = searched.Report });
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
        LastActualCost = report.CostUsd;
        RunningCycle = null;
        (Status, StatusMessage) = report.Outcome switch
        {
            CycleOutcome.Completed => (ResearchStatus.Completed, $"Cycle {report.Cycle} completed: {report.LlmCalls} LLM calls, ${report.CostUsd:0.0000}."),
            CycleOutcome.CompletedWithFailures => (ResearchStatus.Completed,
                $"Cycle {report.Cycle} completed with {report.Failures.Count} failed item(s): {report.LlmCalls} LLM calls, ${report.CostUsd:0.0000}."),
            CycleOutcome.Cancelled => (ResearchStatus.Idle, $"Cycle {report.Cycle} was cancelled. Everything finished before that is kept."),
            CycleOutcome.Blocked => (ResearchStatus.Blocked, $"Cycle {report.Cycle} stopped at a limit. Everything finished before that is kept."),
            CycleOutcome.TimedOut => (ResearchStatus.Failed, $"Cycle {report.Cycle} stopped: {report.Message}"),
            _ => (ResearchStatus.Failed, $"Cycle {report.Cycle} failed: {report.Message}"),
        };
        if (report.Outcome == CycleOutcome.Blocked)
            StoppedByLimit = report.Message;
    }

    private void SetStep(CycleStep step, Func<StepView, StepView> change) =>
        _steps = _steps.Select(v => v.Step == step ? change(v) : v).ToList();
}
