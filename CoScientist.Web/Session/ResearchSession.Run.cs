using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;

namespace CoScientist.Web.Session;

public sealed partial class ResearchSession
{
    /// <summary>
    /// Checks the request against every limit, then runs one cycle in the background. Returns an
    /// input error to show by the form, or null; a limit that refuses the run blocks the session
    /// with its message instead (nothing already produced is lost).
    /// </summary>
    public async Task<string?> StartCycleAsync(ResearchForm form, CancellationToken cancellationToken = default)
    {
        var goal = form.Goal?.Trim() ?? "";
        if (goal.Length == 0)
            return "Enter a research goal first.";
        if (goal.Length > MaxGoalLength)
            return $"The research goal is {goal.Length:N0} characters; the limit is {MaxGoalLength:N0}. Shorten it and try again.";
        lock (_gate)
        {
            if (IsRunning || _starting)
                return "A cycle is already running; wait for it or cancel it.";
            _starting = true;
        }
        try
        {
            return await StartCheckedAsync(goal, form, cancellationToken);
        }
        finally
        {
            lock (_gate) _starting = false;
        }
    }

    private async Task<string?> StartCheckedAsync(string goal, ResearchForm form, CancellationToken cancellationToken)
    {
        // The key is read once: forgetting it while this method awaits must not turn a visitor's run
        // into an operator-key run that believes it is the visitor's (uncapped).
        var visitorKey = _visitorKey;
        var keyKind = visitorKey is null ? KeyKind.Operator : KeyKind.Visitor;
        var model = await _policy.ResolveAsync(form.Model, keyKind, cancellationToken);
        if (model is null)
            return $"The model {form.Model} is not available{(keyKind == KeyKind.Operator ? " on the shared key; choose one from the list or use your own key" : "")}.";
        var settings = SettingsFor(form, model.Id);

        var snapshot = State is { } existing && existing.Goal == goal ? existing.Snapshot() : null;
        var estimate = model.Info.IsPriceKnown ? CostEstimator.Estimate(settings, model.Info, goal, snapshot) : null;
        var block = Quota.Check(keyKind) ?? (keyKind == KeyKind.Operator ? _spendGuard.CurrentBlock(estimate?.ExpectedUsd ?? 0) : null);
        if (block is not null)
        {
            Block(block);
            await NotifyAsync();
            return null;
        }
        var (lease, refused) = _clientQuotas.TryStartCycle(_client.Client, keyKind);
        if (lease is null)
        {
            Block(refused!);
            await NotifyAsync();
            return null;
        }

        var call = new LlmCallContext { SessionId = Id, ClientHash = _client.Client.LedgerHash, KeyKind = keyKind, VisitorApiKey = visitorKey };
        long ledgerId;
        try
        {
            ledgerId = _ledger.StartCycle(new CycleRecord(_clock.GetUtcNow(), Id, call.ClientHash, goal, model.Id, keyKind,
                estimate?.ExpectedUsd ?? 0, estimate?.WorstUsd ?? 0));
        }
        catch (Exception ex)
        {
            lease.Dispose();
            _logger.LogError(ex, "Session {Session}: the spend ledger could not record a new cycle", Id);
            return "The server could not record the cycle in its spend ledger, so it did not start. Try again in a moment.";
        }
        lock (_gate)
        {
            if (State is null || !string.Equals(State.Goal, goal, StringComparison.Ordinal))
                State = new ResearchState(goal);
            Quota.RecordRequest(keyKind);
            _runCts?.Dispose();
            _runCts = new CancellationTokenSource();
            _failures.Clear();
            _steps = StepView.Initial();
            Status = SessionStatus.Running;
            LimitMessage = null;
            RunningCycle = State.Cycle + 1;
            RunningCost = 0;
            LastEstimate = estimate;
            LastActualCost = null;
            StatusMessage = $"Cycle {RunningCycle} is running.";
            var state = State;
            var token = _runCts.Token;
            _run = Task.Run(() => RunAsync(state, settings, call, lease, ledgerId, token), CancellationToken.None);
            // The embedding model is first needed in the Proximity step; load it while Generation and Reflection run.
            _ = Task.Run(_embeddings.Warm, CancellationToken.None);
        }
        await NotifyAsync();
        return null;
    }

    public void Cancel()
    {
        Quota.Touch();
        lock (_gate)
            _runCts?.Cancel();
    }

    private async Task RunAsync(ResearchState state, ResearchSettings settings, LlmCallContext call, CycleLease lease, long ledgerId, CancellationToken token)
    {
        var closed = false;
        // The server-wide slot and the ledger row are released before the session reports "not running",
        // so a new cycle started at once is not refused for a slot this one still held.
        void Close(CycleReport? report)
        {
            if (closed) return;
            closed = true;
            lease.Dispose();
            try
            {
                _ledger.FinishCycle(ledgerId, _clock.GetUtcNow(), report?.Outcome.ToString() ?? "Failed", report?.CostUsd ?? RunningCost, report?.LlmCalls ?? 0);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Session {Session}: the ledger could not record the end of a cycle", Id);
            }
        }

        try
        {
            LastSettings = settings;
            await foreach (var e in _supervisor.RunCycleAsync(state, settings, call, token))
            {
                if (e is CycleCompleted done) Close(done.Report);
                Apply(e, call.KeyKind);
                await NotifyAsync();
            }
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Session {Session}: the cycle ended with an error", Id);
            Close(null);
            lock (_gate)
            {
                Status = SessionStatus.Failed;
                StatusMessage = "The cycle failed unexpectedly. Everything produced before the failure is kept.";
                RunningCycle = null;
                LastActualCost = RunningCost;
            }
            await NotifyAsync();
        }
        finally
        {
            Close(null);
        }
    }

    private void Apply(CycleEvent e, KeyKind keyKind)
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
                case ItemFailed failed:
                    _failures.Add(new ItemFailure(failed.Step, failed.Item, failed.Error));
                    break;
                case CycleCompleted done:
                    Finish(done.Report, keyKind);
                    break;
            }
        }
    }

    private void Finish(CycleReport report, KeyKind keyKind)
    {
        RunningCost = report.CostUsd;
        LastActualCost = report.CostUsd;
        RunningCycle = null;
        if (report.Outcome is CycleOutcome.Completed or CycleOutcome.CompletedWithFailures)
            Quota.RecordCompletedCycle(keyKind);
        if (report.ProviderUnavailable)
        {
            Quota.ReturnRequest(keyKind);
            _clientQuotas.ReturnCycle(_client.Client, keyKind);
        }
        (Status, StatusMessage) = report.Outcome switch
        {
            CycleOutcome.Completed => (SessionStatus.Completed, $"Cycle {report.Cycle} completed: {report.LlmCalls} LLM calls, ${report.CostUsd:0.0000}."),
            CycleOutcome.CompletedWithFailures => (SessionStatus.Completed,
                $"Cycle {report.Cycle} completed with {report.Failures.Count} failed item(s): {report.LlmCalls} LLM calls, ${report.CostUsd:0.0000}."),
            CycleOutcome.Cancelled => (SessionStatus.Idle, $"Cycle {report.Cycle} was cancelled. Everything finished before that is kept."),
            CycleOutcome.Blocked => (SessionStatus.Blocked, $"Cycle {report.Cycle} stopped at a limit. Everything finished before that is kept."),
            CycleOutcome.TimedOut => (SessionStatus.Failed, $"Cycle {report.Cycle} stopped: {report.Message}"),
            _ => (SessionStatus.Failed, $"Cycle {report.Cycle} failed: {report.Message}"),
        };
        if (report.Outcome == CycleOutcome.Blocked)
            LimitMessage = report.Message;
    }

    private void Block(LimitBlock block)
    {
        Status = SessionStatus.Blocked;
        LimitMessage = block.FullMessage;
        StatusMessage = "A limit stops new cycles for now. Everything produced so far is kept.";
    }

    private void SetStep(CycleStep step, Func<StepView, StepView> change) =>
        _steps = _steps.Select(v => v.Step == step ? change(v) : v).ToList();
}
