using CoScientist.Core.Agents.Literature;
using CoScientist.Core.Literature;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace CoScientist.Tests.Core;

/// <summary>Many research starting at once, on a clock the test drives: the sources see a polite pace, and one search per goal.</summary>
public sealed class LiteraturePolitenessTests : IAsyncLifetime
{
    private readonly WaitingClock _clock = new();
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
        }, more: s => s.AddSingleton<TimeProvider>(_clock));
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _library.DisposeAsync();
        await _openRouter.DisposeAsync();
    }

    [Fact]
    public async Task TwentyResearchStartingAtOnce_AskEachSourceOncePerDistinctSearch_AndARepeatedGoalAsksNoOne()
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

        // A sixth visitor with a goal searched before: the cache answers, and neither source is asked.
        var before = _library.Requests.Count;
        var again = await _clock.RunAsync(agent.SearchAsync(goals[3], [goals[3], goals[3] + " yield"], [], 4, CancellationToken.None), below: TimeSpan.FromSeconds(30));
        Assert.Equal(before, _library.Requests.Count);
        Assert.All(again.Sources, s => Assert.True(s.FromCache));
    }
}
