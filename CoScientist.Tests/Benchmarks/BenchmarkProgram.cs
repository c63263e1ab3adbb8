using System.Diagnostics;
using CoScientist.Core.Agents.Supervisor;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using CoScientist.Web.Extensions;
using CoScientist.Web.Session;

namespace CoScientist.Tests.Benchmarks;

/// <summary>
/// Speed and cost numbers, printed rather than asserted (docs/benchmarks.md records them); `crash` also exits 1 when
/// one of its three facts fails in a round. Run as <see cref="Usage"/> says.
/// </summary>
public static class BenchmarkProgram
{
    private const string Usage = "dotnet run --project CoScientist.Tests -c Release -- benchmark [parallelism|cap|estimate|coldstart|store|persistence|postgres|literature|references [--live]|tournament|redis|render|load [--sessions N] [--watched N] [--warm-up N] [--ramp-seconds S]|crash [--rounds N]]";

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] != "benchmark")
        {
            Console.WriteLine("Usage: " + Usage);
            return 2;
        }
        var which = args.Length > 1 ? args[1] : "all";
        if (which is "all" or "parallelism")
            await ParallelismAsync();
        if (which is "all" or "cap")
            await CapAsync();
        if (which is "all" or "estimate")
            await EstimateAsync();
        if (which is "all" or "coldstart")
            await ColdStartBenchmark.RunAsync();
        if (which is "all" or "store")
            await StoreBenchmark.RunAsync();
        if (which is "all" or "persistence")
            await PersistenceBenchmark.RunAsync();
        if (which is "all" or "postgres")
            await PostgresBenchmark.RunAsync();
        if (which is "all" or "literature")
            await LiteratureBenchmark.RunAsync();
        if (which is "all" or "tournament")
            await TournamentBenchmark.RunAsync();
        if (which is "tournament-quick")
            await TournamentBenchmark.RunAsync(quick: true);
        if (which is "all" or "redis")
            await RedisCapBenchmark.RunAsync();
        if (which is "all" or "render")
            await RenderBenchmark.RunAsync();
        if (which is "all" or "load")
            await LoadBenchmark.RunAsync(args);
        if (which is "all" or "crash")
        {
            // --rounds N for a quicker check (each round waits out the four-minute settlement window); ten by default.
            if (!await CrashBenchmark.RunAsync(int.Parse(Option(args, "--rounds", "10"), System.Globalization.CultureInfo.InvariantCulture)))
                return 1;
        }
        if (which is "all" or "references")
            await ReferenceBenchmark.RunAsync(live: args.Contains("--live"));
        return 0;
    }

    /// <summary>The value after <paramref name="name"/> on the command line, or <paramref name="fallback"/>.</summary>
    internal static string Option(string[] args, string name, string fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }

    /// <summary>100 sessions start cycles at once against a small daily cap: how much is charged past it.</summary>
    private static async Task CapAsync()
    {
        Console.WriteLine("Daily cap under load: 100 sessions start a cycle (N=3) at the same moment, 20 ms fake latency");
        foreach (var cap in new[] { 0.05m, 0.25m, 1.00m })
        {
            await using var server = await FakeOpenRouterServer.StartAsync(seed: 9);
            server.Latency = TimeSpan.FromMilliseconds(20);
            server.RealisticLengths = true;
            await using var services = CoreHarness.Create(server, new Dictionary<string, string?>
            {
                ["cost_control:daily_spending_limit_usd"] = cap.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["cost_control:max_cycles_per_client_per_hour"] = "1000",
                ["cost_control:max_concurrent_cycles"] = "500",
            }, more: s => s.AddCoScientistSessions());
            var sessions = Enumerable.Range(0, 100).Select(_ => services.CreateAsyncScope().ServiceProvider.GetRequiredService<ResearchSession>()).ToList();
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(sessions.Select(s =>
            {
                var form = ResearchForm.From(services.GetRequiredService<IOptions<ResearchOptions>>().Value);
                form.Goal = "Find ways to make lithium-ion batteries safer";
                return s.StartCycleAsync(form);
            }));
            while (sessions.Any(s => s.IsRunning)) await Task.Delay(50);
            var charged = server.TotalCharged;
            Console.WriteLine($"  cap ${cap:0.00}: charged ${charged:0.000000} ({charged / cap:P0} of the cap), overshoot ${Math.Max(0, charged - cap):0.000000}, " +
                              $"{server.CompletedCalls} calls, {sessions.Count(s => s.Status == ResearchStatus.Completed)} cycles completed, " +
                              $"{sessions.Count(s => s.Status == ResearchStatus.Blocked)} blocked, {watch.Elapsed.TotalSeconds:F1} s");
        }
    }

    /// <summary>Expected cost before a cycle against what OpenRouter (the fake, with real-length answers) charged.</summary>
    private static async Task EstimateAsync()
    {
        Console.WriteLine("Estimate accuracy: three cycles in a row (N=3, default settings), answers of real length, gemini-2.5-flash prices");
        await using var server = await FakeOpenRouterServer.StartAsync(seed: 4);
        server.RealisticLengths = true;
        await using var services = CoreHarness.Create(server);
        var model = (await services.GetRequiredService<CoScientist.Core.Models.ModelPolicy>().ResolveAsync("google/gemini-2.5-flash", CoScientist.Core.Llm.KeyKind.Operator))!.Info;
        var settings = services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings();
        var state = new ResearchState("Identify drug repurposing candidates for acute myeloid leukemia");
        for (var cycle = 1; cycle <= 3; cycle++)
        {
            var estimate = CostEstimator.Estimate(settings, model, state.Goal, state.Cycle == 0 ? null : state.Snapshot());
            CycleReport? report = null;
            await foreach (var e in services.GetRequiredService<CycleSupervisor>().RunCycleAsync(state, settings, new LlmCallContext()))
                if (e is CycleCompleted done) report = done.Report;
            Console.WriteLine($"  cycle {cycle}: expected ${estimate.ExpectedUsd:0.000000} ({estimate.Calls} calls), worst case ${estimate.WorstUsd:0.000000}; " +
                              $"actual ${report!.CostUsd:0.000000} ({report.LlmCalls} calls): actual/expected {report.CostUsd / estimate.ExpectedUsd:0.00}, " +
                              $"actual/worst {report.CostUsd / estimate.WorstUsd:0.00}");
        }
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
