using System.Diagnostics;
using CoScientist.Core.Agents.Supervisor;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Benchmarks;

/// <summary>
/// What the Literature step adds to a cycle's wall time: cycles without literature, with a cold cache (the query call
/// and the searches run) and with a warm one (the same goal searched before), against the fake OpenRouter at a fixed
/// latency and fake libraries at a fixed latency.
/// </summary>
public static class LiteratureBenchmark
{
    private const string Goal = "Raise the energy yield of solar photovoltaic modules on building facades";
    private static readonly TimeSpan LlmLatency = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LibraryLatency = TimeSpan.FromMilliseconds(300);
    private const int Runs = 3;

    public static async Task RunAsync()
    {
        Console.WriteLine($"Literature on the critical path: N=3, parallel 4, LLM latency {LlmLatency.TotalSeconds:0.0} s, library latency {LibraryLatency.TotalMilliseconds:0} ms, {Runs} runs each");
        await using var server = await FakeOpenRouterServer.StartAsync(seed: 5);
        server.Latency = LlmLatency;
        await using var library = await FakeLiteratureServer.StartAsync(TimeProvider.System);
        library.Latency = LibraryLatency;

        var off = new List<double>();
        var cold = new List<double>();
        var warm = new List<double>();
        var coldStep = new List<double>();
        var warmStep = new List<double>();
        for (var run = 0; run < Runs; run++)
        {
            await using (var services = Services(server, library, enabled: false))
                off.Add((await CycleAsync(services)).Wall);
            // A fresh data directory each run: the first cycle's searches and query call go out, the second's are cached.
            await using (var services = Services(server, library, enabled: true))
            {
                var first = await CycleAsync(services);
                cold.Add(first.Wall);
                coldStep.Add(first.Literature);
                var second = await CycleAsync(services);
                warm.Add(second.Wall);
                warmStep.Add(second.Literature);
            }
        }
        var baseline = off.Average();
        Console.WriteLine($"  no literature : cycle {baseline:F2} s");
        Console.WriteLine($"  cold cache    : cycle {cold.Average():F2} s (+{cold.Average() - baseline:F2} s = {(cold.Average() - baseline) / LlmLatency.TotalSeconds:F2} LLM latencies), Literature step {coldStep.Average():F2} s");
        var papers = CoScientist.Core.Literature.ArxivFeedParser.Parse(TestData.Read("arxiv-query-2026-07.xml"))
            .Concat(CoScientist.Core.Literature.EuropePmcParser.Parse(TestData.Read("europepmc-search-core-2025.json")))
            .Select(p => new ResearchPaper(0, p, 0, 0).Describe()).ToList();
        var embedWatch = Stopwatch.StartNew();
        foreach (var text in papers) CoreHarness.SharedEmbeddings.Embed(text);
        Console.WriteLine($"  embedding the {papers.Count} papers found (ranking a cold search): {embedWatch.Elapsed.TotalSeconds:F2} s");
        Console.WriteLine($"  warm cache    : cycle {warm.Average():F2} s (+{warm.Average() - baseline:F2} s = {(warm.Average() - baseline) / LlmLatency.TotalSeconds:F2} LLM latencies), Literature step {warmStep.Average():F2} s");
    }

    private static ServiceProvider Services(FakeOpenRouterServer server, FakeLiteratureServer library, bool enabled) =>
        CoreHarness.Create(server, new Dictionary<string, string?>
        {
            ["literature:enabled"] = enabled ? "true" : "false",
            ["literature:arxiv_base_url"] = library.BaseUrl + "/arxiv",
            ["literature:europepmc_base_url"] = library.BaseUrl + "/europepmc",
            ["literature:crossref_base_url"] = library.BaseUrl + "/crossref",
        });

    private static async Task<(double Wall, double Literature)> CycleAsync(ServiceProvider services)
    {
        var settings = services.GetRequiredService<CycleAdmission>().Clamp(
            services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings() with { HypothesesPerCycle = 3 });
        var watch = Stopwatch.StartNew();
        CycleReport? report = null;
        await foreach (var e in services.GetRequiredService<CycleSupervisor>().RunCycleAsync(new ResearchState(Goal), settings, new LlmCallContext()))
            if (e is CycleCompleted done) report = done.Report;
        var literature = report!.Steps.FirstOrDefault(s => s.Step == CycleStep.Literature)?.Elapsed.TotalSeconds ?? 0;
        return (watch.Elapsed.TotalSeconds, literature);
    }
}
