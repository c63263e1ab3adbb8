using CoScientist.Core.Agents.Evolution;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Core;

/// <summary>The owner of a research adds hypotheses, votes, pins, rejects and steers; nobody else can.</summary>
public sealed class ScientistInTheLoopTests : IAsyncLifetime
{
    private const string Owner = "owner";
    private const string Directive = "Focus on low-cost experiments with bench-top equipment";
    private static readonly HypothesisDraft Mine = new("Efflux pumps drive tolerance first",
        "Efflux pump overexpression precedes target mutations in evolving resistance.",
        "Pumps are quick to upregulate and broaden tolerance, buying time for mutations.",
        "Blocking efflux early slows the appearance of resistant mutants in serial passage.");

    private FakeOpenRouterServer _server = null!;
    private ServiceProvider _services = null!;
    private ResearchHost _host = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeOpenRouterServer.StartAsync(seed: 43);
        _services = CoreHarness.Create(_server, new Dictionary<string, string?> { ["num_hypotheses"] = "2", ["evolutions_per_cycle"] = "1" });
        _host = _services.GetRequiredService<ResearchHost>();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    private CycleRequest Request(double voteWeight = 0) => new("Explain antibiotic resistance",
        _services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings() with { VoteWeight = voteWeight }, KeyKind.Operator, new ClientKey("ip", "browser"), "s",
        new SessionQuota(_services.GetRequiredService<IOptions<DeploymentOptions>>().Value,
            _services.GetRequiredService<IOptions<CostControlOptions>>().Value, TimeProvider.System), null);

    private async Task<LiveResearch> RunCycleAsync(LiveResearch? research = null, double voteWeight = 0)
    {
        research ??= _host.Create();
        var admitted = await _host.StartCycleAsync(research, Request(voteWeight), new LlmCallContext(), Owner);
        Assert.True(admitted.IsAdmitted, admitted.InputError);
        await research.Run;
        return research;
    }

    private async Task<LiveResearch> ReloadAsync(LiveResearch research)
    {
        _host.Release(research);
        var reloaded = await _host.OpenAsync(research.Id);
        Assert.NotSame(research, reloaded); // nobody held it: this one comes from the store
        return reloaded!;
    }

    [Fact]
    public async Task TheVoteWeightChosenForALaterCycle_IsWhatTheReopenedResearchOffers()
    {
        var research = await RunCycleAsync(voteWeight: 0);
        await RunCycleAsync(research, voteWeight: 2);

        var reopened = await ReloadAsync(research);

        Assert.Equal(2, reopened.LastSettings!.VoteWeight);
    }

    [Fact]
    public async Task TheOwnersHypothesisVotePinRejectionAndDirective_AreKeptAfterAReload()
    {
        var research = await RunCycleAsync();
        var ranked = research.Snapshot().Ranked;

        Assert.Null(await _host.AddHypothesisAsync(research, Owner, Mine));
        Assert.Null(await _host.VoteAsync(research, Owner, ranked[0].Id, ranked[1].Id, ranked[1].Id));
        Assert.Null(await _host.SetPinnedAsync(research, Owner, ranked[1].Id, true));
        Assert.Null(await _host.SetRejectedAsync(research, Owner, ranked[0].Id, true));
        Assert.Null(await _host.SetDirectiveAsync(research, Owner, Directive));

        var saved = (await ReloadAsync(research)).Snapshot();
        var mine = Assert.Single(saved.Hypotheses, h => h.Origin == HypothesisOrigin.Scientist);
        Assert.Equal(Mine.Title, mine.Title);
        Assert.True(saved.Hypotheses.Single(h => h.Id == ranked[1].Id).Pinned);
        Assert.True(saved.Hypotheses.Single(h => h.Id == ranked[0].Id).Rejected);
        var vote = Assert.Single(saved.Votes);
        Assert.Equal((ranked[0].Id, ranked[1].Id, ranked[1].Id), (vote.HypothesisAId, vote.HypothesisBId, vote.WinnerId));
        Assert.Equal(Directive, saved.PendingDirective);
    }

    [Fact]
    public async Task SomeoneWhoIsNotTheOwner_CanChangeNothing()
    {
        var research = await RunCycleAsync();
        var before = research.Snapshot();
        var (a, b) = (before.Hypotheses[0].Id, before.Hypotheses[1].Id);

        Assert.NotNull(await _host.AddHypothesisAsync(research, "reader", Mine));
        Assert.NotNull(await _host.VoteAsync(research, "reader", a, b, a));
        Assert.NotNull(await _host.SetPinnedAsync(research, "reader", a, true));
        Assert.NotNull(await _host.SetRejectedAsync(research, "reader", b, true));
        Assert.NotNull(await _host.SetDirectiveAsync(research, "reader", Directive));

        var after = (await ReloadAsync(research)).Snapshot();
        Assert.Equal(before.Hypotheses.Count, after.Hypotheses.Count);
        Assert.DoesNotContain(after.Hypotheses, h => h.Pinned || h.Rejected);
        Assert.Empty(after.Votes);
        Assert.Null(after.PendingDirective);
    }

    [Fact]
    public async Task AHypothesisWithABlankField_IsRefusedWithWhatIsMissing()
    {
        var research = await RunCycleAsync();

        var error = await _host.AddHypothesisAsync(research, Owner, Mine with { Prediction = " " });

        Assert.Equal("The prediction is required.", error);
        Assert.DoesNotContain(research.Snapshot().Hypotheses, h => h.Origin == HypothesisOrigin.Scientist);
    }

    [Fact]
    public async Task TheDirective_ReachesGenerationEvolutionAndTheJudge_IsInTheCyclesReport_AndIsFollowedOnce()
    {
        var research = await RunCycleAsync();
        Assert.Null(await _host.SetDirectiveAsync(research, Owner, Directive));
        _server.ResetCounters();

        await RunCycleAsync(research);

        foreach (var step in new[] { "generation", "evolution", "match_judgement" })
            Assert.Contains(_server.Requests, r => SchemaName(r) == step && r.Body.ToJsonString().Contains(Directive));
        Assert.DoesNotContain(_server.Requests, r => SchemaName(r) == "reflection" && r.Body.ToJsonString().Contains(Directive));
        var snapshot = research.Snapshot();
        Assert.Equal(Directive, snapshot.Reports[^1].Directive);
        Assert.Null(snapshot.Reports[0].Directive);
        Assert.Null(snapshot.PendingDirective);
        Assert.Null((await ReloadAsync(research)).Snapshot().PendingDirective);
    }

    [Fact]
    public async Task TheScientistsHypothesis_IsReviewedEmbeddedAndRankedInTheNextCycle()
    {
        var research = await RunCycleAsync();
        Assert.Null(await _host.AddHypothesisAsync(research, Owner, Mine));

        await RunCycleAsync(research);

        var mine = research.Snapshot().Hypotheses.Single(h => h.Origin == HypothesisOrigin.Scientist);
        Assert.NotNull(mine.Review);
        Assert.NotNull(mine.Embedding);
        Assert.True(mine.MatchesPlayed > 0, "the scientist's hypothesis played no match");
    }

    [Fact]
    public async Task AHypothesisCannotBeAdded_WhileACycleRuns_ButAVoteCan()
    {
        var research = await RunCycleAsync();
        var (a, b) = (research.Snapshot().Hypotheses[0].Id, research.Snapshot().Hypotheses[1].Id);
        _server.Hold(); // the second cycle stays running while the scientist acts
        Assert.True((await _host.StartCycleAsync(research, Request(), new LlmCallContext(), Owner)).IsAdmitted);
        await Wait.UntilAsync(() => _server.HeldRequests > 0);

        var refused = await _host.AddHypothesisAsync(research, Owner, Mine);
        var voted = await _host.VoteAsync(research, Owner, a, b, b);
        Assert.True(research.IsRunning);
        research.Cancel();
        _server.Release();
        await research.Run;

        Assert.Contains("add your hypothesis when it ends", refused);
        Assert.Null(voted);
        Assert.Single(research.Snapshot().Votes);
    }

    [Fact]
    public void Evolution_AlwaysBuildsOnAPinnedHypothesis_AndNeverOnARejectedOne()
    {
        var ranked = Enumerable.Range(1, 6).Select(i => new Hypothesis
        {
            Id = $"H{i:D3}", Title = $"t{i}", Statement = "s", Rationale = "r", Prediction = "p", CycleCreated = 1, Elo = 1300 - i * 10,
            Rejected = i == 1, Pinned = i == 6,
        }).ToList();

        var plans = EvolutionAgent.Plan(ranked, topK: 2, count: 4, cycle: 1);

        Assert.All(plans, p => Assert.DoesNotContain(p.Parents, h => h.Id == "H001"));
        Assert.Contains(plans, p => p.Parents.Any(h => h.Id == "H006")); // ranked last, yet a parent
        Assert.Equal("H006", plans.First(p => p.Strategy == EvolutionStrategy.Combination).Parents[0].Id);
    }

    private static string? SchemaName(RecordedRequest r) => r.Body["response_format"]?["json_schema"]?["name"]?.GetValue<string>();
}
