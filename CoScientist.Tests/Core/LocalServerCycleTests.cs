using CoScientist.Core.Agents.Supervisor;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Models;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Core;

/// <summary>
/// Issue 14's promise: pointed at a local OpenAI-compatible server (no prices, no usage.cost, no /key), the app runs
/// whole cycles in development through the real OpenAI SDK, spends $0, and asks nothing of OpenRouter.
/// </summary>
public sealed class LocalServerCycleTests : IAsyncLifetime
{
    private FakeLocalServer _server = null!;
    private ServiceProvider _services = null!;
    private readonly CapturingLoggerProvider _logs = new();

    public async Task InitializeAsync()
    {
        _server = await FakeLocalServer.StartAsync(seed: 14);
        // No model configured for the local server: the shipped default (an OpenRouter model) is not in its list.
        _services = CoreHarness.Create(_server.BaseUrl, new Dictionary<string, string?> { ["deployment:environment"] = "development" }, _logs);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task<(ResearchSnapshot Snapshot, CycleReport Report)> RunCycleAsync(string model)
    {
        var settings = _services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings(model) with { HypothesesPerCycle = 3 };
        var state = new ResearchState("Find ways to make lithium-ion batteries safer");
        CycleReport? report = null;
        await foreach (var e in _services.GetRequiredService<CycleSupervisor>().RunCycleAsync(state, settings, new LlmCallContext()))
            if (e is CycleCompleted done) report = done.Report;
        Assert.NotNull(report);
        return (state.Snapshot(), report);
    }

    private void AssertAFullCycleAtNoCost(ResearchSnapshot snapshot, CycleReport report)
    {
        Assert.True(report.Outcome == CycleOutcome.Completed, report.Message + string.Join("; ", report.Failures));
        Assert.Equal(3, snapshot.Hypotheses.Count(h => h.Origin == HypothesisOrigin.Generated));
        Assert.All(snapshot.Hypotheses, h => Assert.NotNull(h.Review));
        Assert.NotEmpty(snapshot.Matches);
        Assert.Contains(snapshot.Hypotheses, h => h.Elo != EloRating.InitialRating);
        Assert.NotNull(snapshot.LatestMetaReview);
        Assert.Equal(0m, report.CostUsd);
        Assert.Equal((0m, 0m), _services.GetRequiredService<SpendGuard>().Totals());
        var ledger = _services.GetRequiredService<SpendLedger>().SpendByModel(DateTimeOffset.UtcNow.AddDays(-1));
        Assert.NotEmpty(ledger); // every call is recorded, at $0
        Assert.All(ledger, m => Assert.Equal(0m, m.CostUsd));
        // Nothing asked the server for OpenRouter's /key or /generation, nor will: no call waits for its cost to be confirmed.
        Assert.Empty(_server.UnknownRequests);
        Assert.Equal(0, _services.GetRequiredService<CallReconciler>().Pending);
    }

    [Fact]
    public async Task ACycleOnALocalModel_GeneratesReviewsAndRanks_AtNoCost_WithNothingSentToOpenRouter()
    {
        var (snapshot, report) = await RunCycleAsync(FakeLocalServer.Model);

        AssertAFullCycleAtNoCost(snapshot, report);
        Assert.Equal(report.LlmCalls, _server.Requests.Count); // every call went to the local server
        Assert.All(_server.Requests, r => Assert.Equal("json_schema", r.Body["response_format"]?["type"]?.GetValue<string>()));
        Assert.All(_server.Requests, r => Assert.True(r.Body["stream"]?.GetValue<bool>()));
    }

    /// <summary>The gateway's downgrade on a 400 naming response_format, over a whole cycle (ResponseFormatFallbackTests has the single calls).</summary>
    [Fact]
    public async Task ACycleOnALocalModelThatRefusesJsonSchema_StepsDownOnceAndCompletes()
    {
        var (snapshot, report) = await RunCycleAsync(FakeLocalServer.SchemaRefusingModel);

        AssertAFullCycleAtNoCost(snapshot, report);
        // Refused once (or by the few calls already in flight), then never asked with json_schema again.
        var settings = _services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings();
        Assert.InRange(_server.Requests.Count(IsSchema), 1, settings.MaxParallelCalls);
    }

    private static bool IsSchema(RecordedRequest r) => r.Body["response_format"]?["type"]?.GetValue<string>() == "json_schema";

    [Fact]
    public async Task AServerThatWantsAKey_ListsItsModels_WithTheConfiguredKey()
    {
        _server.RequiredKey = FakeOpenRouterServer.ValidKey; // vLLM started with --api-key guards /v1/models too

        var snapshot = await _services.GetRequiredService<IModelCatalog>().GetAsync();

        Assert.True(snapshot.IsLive, snapshot.Error);
        Assert.All(snapshot.Models, m => Assert.True(m.IsLocal));
    }

    [Fact]
    public async Task TheKeySpendPoll_FindsNoKeyEndpointOnALocalServer_AndStopsQuietly()
    {
        var reconciler = _services.GetRequiredService<ProviderUsageReconciler>();

        await reconciler.RefreshAsync();
        await reconciler.RefreshAsync();

        Assert.True(reconciler.IsLocalServer);
        Assert.Null(reconciler.LastFailure);
        Assert.Equal(["GET /v1/key"], _server.UnknownRequests); // asked once, never again
        Assert.DoesNotContain(_logs.Lines, l => l.StartsWith("Warning") || l.StartsWith("Error"));
    }

    [Fact]
    public async Task WithNoKeySetAtAll_ACycleOnALocalServerStillCompletes()
    {
        await _services.DisposeAsync();
        // The one variable the README promises: the base URL, and no OPENROUTER_API_KEY.
        _services = CoScientist.Tests.Fakes.CoreHarness.Create(_server.BaseUrl, new Dictionary<string, string?>
        {
            ["deployment:environment"] = "development",
            ["OPENROUTER_API_KEY"] = null,
        }, _logs);

        var (snapshot, report) = await RunCycleAsync(FakeLocalServer.Model);

        AssertAFullCycleAtNoCost(snapshot, report);
        Assert.All(_server.Requests, r => Assert.Equal("Bearer " + OpenRouterChatClient.NoKey, r.Headers["Authorization"]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ACycleOnALocalModel_KeepsTheGoalOnTheMachine_UnlessLiteratureSearchIsAllowedForLocalModels(bool allowed)
    {
        await using var library = await FakeLiteratureServer.StartAsync(TimeProvider.System);
        await _services.DisposeAsync();
        _services = CoreHarness.Create(_server.BaseUrl, new Dictionary<string, string?>
        {
            ["deployment:environment"] = "development",
            ["literature:enabled"] = "true",
            ["literature:search_with_local_models"] = allowed ? "true" : "false",
            ["literature:arxiv_base_url"] = library.BaseUrl + "/arxiv",
            ["literature:europepmc_base_url"] = library.BaseUrl + "/europepmc",
            ["literature:crossref_base_url"] = library.BaseUrl + "/crossref",
        }, _logs, s => s.UseLiteratureClock(new SkippingClock(below: TimeSpan.FromSeconds(6)))); // no real seconds in the sources' pacing

        var admission = _services.GetRequiredService<CycleAdmission>();
        var requested = _services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings(FakeLocalServer.Model) with { HypothesesPerCycle = 3 };
        var admitted = await admission.AdmitAsync(new CycleRequest("Find ways to make lithium-ion batteries safer", requested, KeyKind.Operator,
            new ClientKey("ip", "browser"), "s", new SessionQuota(_services.GetRequiredService<IOptions<DeploymentOptions>>().Value,
                _services.GetRequiredService<IOptions<CostControlOptions>>().Value, TimeProvider.System), null));
        var settings = Assert.IsType<CycleTicket>(admitted.Ticket).Settings;
        admitted.Ticket.Close(null, 0m);

        var state = new ResearchState("Find ways to make lithium-ion batteries safer");
        await foreach (var _ in _services.GetRequiredService<CycleSupervisor>().RunCycleAsync(state, settings, new LlmCallContext()))
        {
        }

        Assert.Equal(allowed, settings.LiteraturePapers > 0);
        Assert.Equal(allowed, library.Requests.Any(r => r.Service == "europepmc"));
        if (!allowed)
            Assert.Empty(library.Requests); // no search and no reference check
    }
}
