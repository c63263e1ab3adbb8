using System.Diagnostics;
using CoScientist.Core.Agents.Supervisor;
using CoScientist.Core.Configuration;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Benchmarks;

/// <summary>
/// Speed and cost numbers, printed rather than asserted (docs/benchmarks.md records them).
/// Run: dotnet run --project CoScientist.Tests -c Release -- benchmark [parallelism]
/// </summary>
public static class BenchmarkProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] != "benchmark")
        {
            Console.WriteLine("Usage: dotnet run --project CoScientist.Tests -c Release -- benchmark [parallelism]");
            return 2;
        }
        var which = args.Length > 1 ? args[1] : "all";
        if (which is "all" or "parallelism")
            await ParallelismAsync();
        return 0;
    }

    /// <summary>One cycle of N=6 against the fake with 300 ms per call, at parallel bounds 1 and 4.</summary>
    private static async Task ParallelismAsync()
    {
        CoreHarness.SharedEmbeddings.Warm();
        Console.WriteLine("Parallelism: one cycle, N=6 hypotheses, 300 ms fake latency per LLM call");
        var results = new Dictionary<int, (TimeSpan Wall, int Calls)>();
        foreach (var bound in new[] { 1, 4 })
        {
            await using var server = await FakeOpenRouterServer.StartAsync(seed: 3);
            server.Latency = TimeSpan.FromMilliseconds(300);
            await using var services = CoreHarness.Create(server);
            var settings = services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings() with
            {
                HypothesesPerCycle = 6,
                MaxParallelCalls = bound,
            };
            var watch = Stopwatch.StartNew();
            CycleReport? report = null;
            await foreach (var e in services.GetRequiredService<CycleSupervisor>().RunCycleAsync(new ResearchState("benchmark goal"), settings, new LlmCallContext()))
                if (e is CycleCompleted done) report = done.Report;
            watch.Stop();
            results[bound] = (watch.Elapsed, report!.LlmCalls);
            Console.WriteLine($"  parallel bound {bound}: {watch.Elapsed.TotalSeconds,6:F2} s wall, {report.LlmCalls} LLM calls, outcome {report.Outcome}");
        }
        var ratio = results[4].Wall / results[1].Wall;
        Console.WriteLine($"  bound 4 / bound 1 wall time: {ratio:P0} (target: at most 40%)");
    }
}
