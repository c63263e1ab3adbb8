using CoScientist.Core.Agents.Supervisor;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Models;
using CoScientist.Core.Research;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Core;

/// <summary>The estimate a visitor sees before a run counts exactly the calls the cycle then makes.</summary>
public sealed class CyclePlanTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeOpenRouterServer.StartAsync(seed: 21);
        _services = CoreHarness.Create(_server);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Theory]
    [InlineData(3, 3, 2, 2.0)]
    [InlineData(1, 3, 2, 2.0)]
    [InlineData(2, 0, 0, 1.0)]
    [InlineData(6, 1, 1, 2.0)]
    [InlineData(4, 2, 2, 3.0)]
    public async Task EstimatedCalls_EqualTheCallsEachCycleMakes_OverFiveCycles(int hypotheses, int evolutions, int debateTurns, double matchFactor)
    {
        var settings = _services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings() with
        {
            HypothesesPerCycle = hypotheses, EvolutionsPerCycle = evolutions, DebateTurns = debateTurns, MatchBudgetFactor = matchFactor,
        };
        var model = (await _services.GetRequiredService<IModelCatalog>().GetAsync()).Find(settings.Model)!;
        var state = new ResearchState("Find ways to make lithium-ion batteries safer");
        var supervisor = _services.GetRequiredService<CycleSupervisor>();

        for (var cycle = 1; cycle <= 5; cycle++)
        {
            var estimate = CostEstimator.Estimate(settings, model, state.Goal, state.Cycle == 0 ? null : state.Snapshot());
            var requestsBefore = _server.Requests.Count;

            CycleReport? report = null;
            await foreach (var e in supervisor.RunCycleAsync(state, settings, new LlmCallContext()))
                if (e is CycleCompleted done) report = done.Report;

            Assert.True(report!.Outcome == CycleOutcome.Completed, $"cycle {cycle}: {report.Message} {string.Join("; ", report.Failures)}");
            Assert.Equal(_server.Requests.Count - requestsBefore, report.LlmCalls);
            Assert.True(estimate.Calls == report.LlmCalls, $"cycle {cycle}: estimated {estimate.Calls} calls, made {report.LlmCalls}");
        }
    }

    [Fact]
    public void AResearchWithNothingToRank_PlansNoMatches()
    {
        var settings = new ResearchSettings { Model = "m", HypothesesPerCycle = 1, EvolutionsPerCycle = 0 };

        var plan = CyclePlan.For(settings, research: null);

        Assert.Equal(0, plan.MainMatches);
        Assert.Equal(1 + 1 + 1, plan.Calls); // one generation call, one review, the meta-review
    }
}
