using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
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
}
