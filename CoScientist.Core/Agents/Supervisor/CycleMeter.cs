using CoScientist.Core.Llm;
using CoScientist.Core.Research;

namespace CoScientist.Core.Agents.Supervisor;

/// <summary>Sums the calls, tokens and cost of one cycle, per step. Thread-safe: parallel calls record here.</summary>
public sealed class CycleMeter(IUsageRecorder? next = null, Action<CallSettled>? onSettled = null) : IUsageRecorder
{
    private readonly Lock _gate = new();
    private readonly Dictionary<CycleStep, (int Calls, long In, long Out, decimal Cost)> _steps = [];

    public decimal TotalCost
    {
        get { lock (_gate) return _steps.Values.Sum(s => s.Cost); }
    }

    public void Record(LlmUsage usage)
    {
        var step = usage.Step ?? CycleStep.Generation;
        CallSettled settled;
        lock (_gate)
        {
            var s = _steps.GetValueOrDefault(step);
            _steps[step] = (s.Calls + 1, s.In + usage.InputTokens, s.Out + usage.OutputTokens, s.Cost + usage.CostUsd);
            settled = new CallSettled(step, _steps[step].Cost, _steps.Values.Sum(x => x.Cost));
        }
        next?.Record(usage);
        onSettled?.Invoke(settled);
    }

    public StepReport Report(CycleStep step, int failures, TimeSpan elapsed)
    {
        lock (_gate)
        {
            var s = _steps.GetValueOrDefault(step);
            return new StepReport(step, s.Calls, s.In, s.Out, s.Cost, failures, elapsed);
        }
    }
}
