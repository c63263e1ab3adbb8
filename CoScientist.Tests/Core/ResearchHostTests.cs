using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Embeddings;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Core;

/// <summary>The host keeps one live copy of a research while anyone holds it, a running cycle included.</summary>
public sealed class ResearchHostTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeOpenRouterServer.StartAsync(seed: 41);
        _services = CoreHarness.Create(_server, new Dictionary<string, string?> { ["num_hypotheses"] = "2", ["evolutions_per_cycle"] = "1" });
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    private CycleRequest Request() => new("Explain antibiotic resistance",
        _services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings(), KeyKind.Operator, new ClientKey("ip", "browser"), "s",
        new SessionQuota(_services.GetRequiredService<IOptions<DeploymentOptions>>().Value,
            _services.GetRequiredService<IOptions<CostControlOptions>>().Value, TimeProvider.System), null);

    [Fact]
    public async Task ACycleKeepsItsResearchLive_AfterItsTabLetGo_AndEveryoneOpeningItMeanwhileSharesTheOneCopy()
    {
        var host = _services.GetRequiredService<ResearchHost>();
        _server.Hold(); // the cycle stays running until the openings below are done
        var research = host.Create();
        var admitted = await host.StartCycleAsync(research, Request(), new LlmCallContext(), "owner");
        Assert.True(admitted.IsAdmitted, admitted.InputError);
        await Wait.UntilAsync(() => _server.HeldRequests > 0);

        host.Release(research); // the tab closes
        var opened = await Task.WhenAll(host.OpenAsync(research.Id), host.OpenAsync(research.Id));

        Assert.All(opened, o => Assert.Same(research, o));
        foreach (var o in opened) host.Release(o!);
        _server.Release();
        await research.Run;
        var afterwards = await host.OpenAsync(research.Id);
        Assert.NotSame(research, afterwards); // forgotten when nobody held it; loaded again from the store
        Assert.Equal(research.Snapshot().Hypotheses.Count, afterwards!.Snapshot().Hypotheses.Count);
    }

    [Fact]
    public async Task ADoubleClick_AdmitsOneCycle()
    {
        var host = _services.GetRequiredService<ResearchHost>();
        _server.Hold(); // whichever click is admitted, its cycle is still running when the other is decided
        var research = host.Create();

        var results = await Task.WhenAll(
            host.StartCycleAsync(research, Request(), new LlmCallContext(), "owner"),
            host.StartCycleAsync(research, Request(), new LlmCallContext(), "owner"));

        Assert.Single(results, r => r.IsAdmitted);
        _server.Release();
        await research.Run;
        Assert.Equal(0, _services.GetRequiredService<ClientQuotas>().RunningCycles);
    }

    [Fact]
    public async Task ACycleStarts_WhileTheEmbeddingModelIsBusyWithOtherResearch()
    {
        var model = new CountingEmbeddings(CoreHarness.SharedEmbeddings);
        model.Hold();
        await using var services = CoreHarness.Create(_server, new Dictionary<string, string?> { ["num_hypotheses"] = "2", ["evolutions_per_cycle"] = "1" },
            more: s => s.AddSingleton<IEmbeddingModel>(model));
        var host = services.GetRequiredService<ResearchHost>();
        var research = host.Create();
        _server.Hold(); // the cycle stays in its first step: the model is asked for nothing before its proximity step

        // Hundreds of visitors starting at once would each wait for the model here if a start embedded its goal.
        var admitted = await host.StartCycleAsync(research, Request(), new LlmCallContext(), "owner").WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(admitted.IsAdmitted, admitted.InputError);
        Assert.Equal(0, model.Calls);
        model.Release();
        _server.Release();
        await research.Run;
        Assert.Equal(ResearchStatus.Completed, research.Status);
    }

    [Fact]
    public async Task SharedResearchAndExamplesOnASimilarGoal_AreFound_EachGoalEmbeddedOnce()
    {
        var model = new CountingEmbeddings(CoreHarness.SharedEmbeddings);
        await using var services = CoreHarness.Create(_server, new Dictionary<string, string?> { ["num_hypotheses"] = "2", ["evolutions_per_cycle"] = "1" },
            more: s => s.AddSingleton<IEmbeddingModel>(model));
        var host = services.GetRequiredService<ResearchHost>();
        async Task<LiveResearch> RunAsync(string goal)
        {
            var research = host.Create();
            Assert.True((await host.StartCycleAsync(research, Request() with { Goal = goal }, new LlmCallContext(), "owner")).IsAdmitted);
            await research.Run;
            return research;
        }
        var shared = await RunAsync("Explain antibiotic resistance");
        var example = await RunAsync("Why do bacteria resist antibiotics?");
        var other = await RunAsync("Design a cheaper perovskite solar cell"); // neither shared nor an example: never embedded for this
        await host.Store.SetExampleAsync(example.Id, true);

        // Shared research has its goal embedded as it is shared, so a visitor stopped by a limit later waits for none of it.
        Assert.NotNull(await host.ShareAsync(shared));
        await Wait.UntilAsync(async () => (await host.Store.GetRecordAsync(shared.Id))!.GoalEmbedding is not null);
        var before = model.Calls;

        var found = await host.SimilarSharedAsync("How does antibiotic resistance arise in bacteria?");
        var callsFirst = model.Calls - before;
        var again = await host.SimilarSharedAsync("How does antibiotic resistance arise in bacteria?");

        Assert.Equal(new[] { shared.Id, example.Id }.Order(), found.Select(f => f.Record.Id).Order());
        Assert.Equal(new[] { shared.Id, example.Id }.Order(), again.Select(f => f.Record.Id).Order());
        Assert.Equal(2, callsFirst); // the visitor's goal and the example's, made now
        Assert.Equal(before + callsFirst + 1, model.Calls); // the example's is kept: only the visitor's goal again
        Assert.NotNull((await host.Store.GetRecordAsync(example.Id))!.GoalEmbedding);
        Assert.Null((await host.Store.GetRecordAsync(other.Id))!.GoalEmbedding);
    }
}
