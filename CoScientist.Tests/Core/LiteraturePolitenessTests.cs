using CoScientist.Core.Agents.Literature;
using CoScientist.Core.Embeddings;
using CoScientist.Core.Literature;
using CoScientist.Core.Research;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace CoScientist.Tests.Core;

/// <summary>Many research starting at once, on a clock the test drives: the sources see a polite pace, one search per goal, and the model one embedding per paper.</summary>
public sealed class LiteraturePolitenessTests : IAsyncLifetime
{
    private readonly WaitingClock _clock = new();
    private readonly CountingEmbeddings _model = new(CoreHarness.SharedEmbeddings);
    private FakeOpenRouterServer _openRouter = null!;
    private FakeLiteratureServer _library = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _openRouter = await FakeOpenRouterServer.StartAsync();
        _library = await FakeLiteratureServer.StartAsync(_clock);
        _services = CoreHarness.Create(_openRouter, new Dictionary<string, string?>
        {
            ["literature:enabled"] = "true",
            ["literature:arxiv_base_url"] = _library.BaseUrl + "/arxiv",
            ["literature:europepmc_base_url"] = _library.BaseUrl + "/europepmc",
            ["literature:timeout_seconds"] = "60",
        }, more: s => s.AddSingleton<TimeProvider>(_clock).AddSingleton<IEmbeddingModel>(_model));
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _library.DisposeAsync();
        await _openRouter.DisposeAsync();
    }

    [Fact]
    public async Task TwentyResearchStartingAtOnce_AskEachSourceOncePerDistinctSearch_EmbedEachPaperOnce_AndARepeatedGoalCostsNothing()
    {
        var agent = _services.GetRequiredService<LiteratureAgent>();
        // Twenty visitors, five different goals: the queries each goal's Literature step searches.
        var goals = Enumerable.Range(0, 20).Select(i => $"solar photovoltaic facades topic{i % 5}").ToList();

        var start = _clock.GetUtcNow();
        var searches = Task.WhenAll(goals.Select(g => agent.SearchAsync(g, [g, g + " yield"], [], 4, CancellationToken.None)));
        var results = await _clock.RunAsync(searches, below: TimeSpan.FromSeconds(30));

        // One request per distinct search, however many research asked for it at once. (Their spacing, three seconds
        // on arXiv, is LiteratureClientTests' to prove: here the other source's pacing moves the shared test clock
        // while a request is on its way, so arrival times understate the gaps.)
        Assert.Equal(5, _library.Requests.Count(r => r.Service == "arxiv"));
        Assert.Equal(5, _library.Requests.Count(r => r.Service == "europepmc"));
        // Five requests, four gaps of the 3 s arXiv asks for: the number itself, not ArxivClient.Spacing, so lowering that fails here.
        Assert.True(_clock.GetUtcNow() - start >= 4 * TimeSpan.FromSeconds(3), "arXiv was not paced");
        Assert.All(results, r => Assert.Equal(3, r.Candidates.Count));
        // The library answers every query with the same recorded feeds, so every search scores the same papers: each is
        // embedded once, and each of the five goals once, though all twenty searches wanted them at the same moment.
        var scored = results[0].Candidates.Count + results[0].OffTopic;
        Assert.All(results, r => Assert.Equal(scored, r.Candidates.Count + r.OffTopic));
        var embedded = _model.Calls;
        Assert.Equal(scored + 5, embedded);

        // A sixth visitor with a goal searched before: the cache answers, and neither source is asked.
        var before = _library.Requests.Count;
        var again = await _clock.RunAsync(agent.SearchAsync(goals[3], [goals[3], goals[3] + " yield"], [], 4, CancellationToken.None), below: TimeSpan.FromSeconds(30));
        Assert.Equal(before, _library.Requests.Count);
        Assert.All(again.Sources, s => Assert.True(s.FromCache));
        Assert.Equal(embedded, _model.Calls);
    }

    [Fact]
    public async Task AResearchCancelledWhileItsPaperIsEmbedded_LeavesAnotherWaitingForThatPaper_ToGetItsEmbedding()
    {
        var agent = _services.GetRequiredService<LiteratureAgent>();
        var paper = new ResearchPaper(1, new Paper(LiteratureSource.ArXiv, "Perovskite tandem cells for building facades", ["A. Author"], 2024, "arXiv",
            "Semi-transparent perovskite-silicon tandem modules integrated into facades.", null, "2401.01234", "https://arxiv.org/abs/2401.01234"), 1, 0);
        _model.Hold();
        using var cancelled = new CancellationTokenSource();
        var first = agent.EmbedAsync([paper], cancelled.Token);
        await _model.EnteredAsync();
        // A second research needs the same paper while the first's embedding is being made: it waits for that one.
        var second = agent.EmbedAsync([paper], CancellationToken.None);
        Assert.Equal(1, _model.Calls);

        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        // The second was not cancelled: it makes the embedding itself (had it given up with the first, it says so here).
        if (await Task.WhenAny(second, _model.EnteredAsync()) == second) await second;
        _model.Release();
        var vectors = await second.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, _model.Calls);
        Assert.Equal(_model.Dimensions, vectors[1].Length);
    }
}
