using System.Diagnostics;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Benchmarks;

/// <summary>
/// What saving research as it progresses costs a cycle: the same cycles (N = 6, zero LLM latency, so the store's
/// share is as large as it can be) through the research host with the SQLite store and with a store that keeps nothing,
/// alternated in one run.
/// </summary>
public static class PersistenceBenchmark
{
    public static async Task RunAsync()
    {
        Console.WriteLine("Saving research: first-cycle wall time with the SQLite store vs none (N=6, zero latency, alternated, after a warm-up)");
        await using var server = await FakeOpenRouterServer.StartAsync(seed: 31);
        await using var saving = Services(server, save: true);
        await using var notSaving = Services(server, save: false);
        await TimeCycleAsync(saving);
        await TimeCycleAsync(notSaving);
        var withStore = new List<double>();
        var without = new List<double>();
        for (var round = 0; round < 15; round++)
            foreach (var save in round % 2 == 0 ? new[] { true, false } : [false, true])
                (save ? withStore : without).Add(await TimeCycleAsync(save ? saving : notSaving));
        var a = Median(withStore);
        var b = Median(without);
        Console.WriteLine($"  median cycle: {a:0.0} ms with the store, {b:0.0} ms without: saving costs {(a - b) / b * 100:0.0}% of the cycle ({withStore.Count} cycles each)");
    }

    private static ServiceProvider Services(FakeOpenRouterServer server, bool save) => CoreHarness.Create(server, new Dictionary<string, string?>
    {
        ["num_hypotheses"] = "6",
        ["cost_control:max_cycles_per_client_per_hour"] = "1000",
        ["deployment:max_cycles_per_session"] = "1000",
        ["cost_control:per_session_limit_requests"] = "1000",
        ["cost_control:daily_spending_limit_usd"] = "1000",
        ["cost_control:monthly_spending_limit_usd"] = "1000",
    }, more: s => { if (!save) s.AddSingleton<IResearchStore, NullResearchStore>(); });

    /// <summary>One cycle (N from the settings) on a new research, from admission to its end, in milliseconds.</summary>
    internal static async Task<double> TimeCycleAsync(IServiceProvider services)
    {
        var host = services.GetRequiredService<ResearchHost>();
        var options = services.GetRequiredService<IOptions<ResearchOptions>>().Value;
        var quota = new SessionQuota(services.GetRequiredService<IOptions<DeploymentOptions>>().Value,
            services.GetRequiredService<IOptions<CostControlOptions>>().Value, TimeProvider.System);
        var research = host.Create();
        using var watching = research.Subscribe(() => Task.CompletedTask);
        var request = new CycleRequest("Find ways to make lithium-ion batteries safer", options.ToSettings(), KeyKind.Operator,
            new ClientKey("bench", "bench"), "bench", quota, null);
        // The goal is embedded once when the research is first saved; warm the model so that is not what is measured.
        CoreHarness.SharedEmbeddings.Warm();
        var watch = Stopwatch.StartNew();
        var admitted = await host.StartCycleAsync(research, request, new LlmCallContext(), "bench-owner");
        if (!admitted.IsAdmitted) throw new InvalidOperationException(admitted.InputError ?? admitted.Block?.Message);
        await research.Run;
        return watch.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>Keeps nothing: the baseline.</summary>
    private sealed class NullResearchStore : IResearchStore
    {
        public Task CreateAsync(ResearchRecord record) => Task.CompletedTask;
        public Task<ResearchRecord?> GetRecordAsync(string id) => Task.FromResult<ResearchRecord?>(null);
        public Task<ResearchRecord?> GetByShareTokenAsync(string shareToken) => Task.FromResult<ResearchRecord?>(null);
        public Task<IReadOnlyList<ResearchRecord>> ListByOwnerAsync(string ownerId) => Task.FromResult<IReadOnlyList<ResearchRecord>>([]);
        public Task<IReadOnlyList<ResearchRecord>> ListSharedAsync(int limit = 200) => Task.FromResult<IReadOnlyList<ResearchRecord>>([]);
        public Task<IReadOnlyList<ResearchRecord>> ListExamplesAsync() => Task.FromResult<IReadOnlyList<ResearchRecord>>([]);
        public Task<IReadOnlyList<ResearchRecord>> InterruptedAsync() => Task.FromResult<IReadOnlyList<ResearchRecord>>([]);
        public Task<bool> RenameAsync(string id, string title) => Task.FromResult(true);
        public Task<bool> SetShareTokenAsync(string id, string? shareToken) => Task.FromResult(true);
        public Task<bool> SetExampleAsync(string id, bool isExample) => Task.FromResult(true);
        public Task<bool> SetGoalEmbeddingAsync(string id, float[] embedding) => Task.FromResult(true);
        public Task<bool> UpdateSummaryAsync(string id, ResearchSummary summary) => Task.FromResult(true);
        public Task<bool> DeleteAsync(string id) => Task.FromResult(true);
        public Task<bool> SaveChangesAsync(string researchId, ResearchChanges changes) => Task.FromResult(true);
        public Task<bool> SaveHypothesisAsync(string researchId, Hypothesis hypothesis) => Task.FromResult(true);
        public Task<bool> SaveMatchAsync(string researchId, Match match) => Task.FromResult(true);
        public Task<bool> SaveMetaReviewAsync(string researchId, MetaReview metaReview) => Task.FromResult(true);
        public Task<bool> SaveCycleReportAsync(string researchId, CycleReport report) => Task.FromResult(true);
        public Task<bool> MarkInterruptedAsync(string researchId, int cycle, DateTimeOffset at) => Task.FromResult(true);
        public Task<ResearchSnapshot?> LoadAsync(string id) => Task.FromResult<ResearchSnapshot?>(null);
        public Task<int> DeleteInactiveAsync(DateTimeOffset olderThan) => Task.FromResult(0);
        public Task<ResearchStoreStats> StatsAsync() => Task.FromResult(new ResearchStoreStats(0, 0, 0, 0, 0, 0, 0));
    }
}
