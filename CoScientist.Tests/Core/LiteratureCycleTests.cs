using System.Text.Json.Nodes;
using CoScientist.Core.Agents;
using CoScientist.Core.Agents.Literature;
using CoScientist.Core.Agents.Supervisor;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Literature;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Core;

/// <summary>The Literature step in real cycles: the real agents and clients against the fake OpenRouter and the fake libraries.</summary>
public sealed class LiteratureCycleTests : IAsyncLifetime
{
    private const string Goal = "Raise the energy yield of solar photovoltaic modules on building facades";
    // The libraries' pacing and retry pauses (arXiv's 3 s, Crossref's third of a second, a 503's backoff) are skipped
    // rather than waited out in real seconds; request timeouts (10 s) run in real time.
    private readonly SkippingClock _clock = new(below: TimeSpan.FromSeconds(6));
    private FakeOpenRouterServer _openRouter = null!;
    private FakeLiteratureServer _library = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _openRouter = await FakeOpenRouterServer.StartAsync(seed: 11);
        _library = await FakeLiteratureServer.StartAsync(TimeProvider.System);
        _services = Services(maxPapers: 4);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _library.DisposeAsync();
        await _openRouter.DisposeAsync();
    }

    private ServiceProvider Services(int maxPapers, int timeoutSeconds = 10, string? dataDir = null) => CoreHarness.Create(_openRouter, new Dictionary<string, string?>
    {
        ["literature:enabled"] = "true",
        ["literature:arxiv_base_url"] = _library.BaseUrl + "/arxiv",
        ["literature:europepmc_base_url"] = _library.BaseUrl + "/europepmc",
        ["literature:crossref_base_url"] = _library.BaseUrl + "/crossref",
        ["literature:max_papers"] = maxPapers.ToString(),
        ["literature:timeout_seconds"] = timeoutSeconds.ToString(),
        ["DATA_DIR"] = dataDir ?? CoreHarness.NewDataDir(),
    }, more: s => s.UseLiteratureClock(_clock));

    /// <summary>The settings a visitor's cycle gets: clamped by admission, which turns the Literature step on.</summary>
    private ResearchSettings Settings(ServiceProvider? services = null)
    {
        services ??= _services;
        var requested = services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings() with { HypothesesPerCycle = 3 };
        return services.GetRequiredService<CycleAdmission>().Clamp(requested);
    }

    private async Task<(CycleReport Report, List<CycleEvent> Events)> RunAsync(ResearchState state, ServiceProvider? services = null)
    {
        services ??= _services;
        var events = new List<CycleEvent>();
        await foreach (var e in services.GetRequiredService<CycleSupervisor>().RunCycleAsync(state, Settings(services), new LlmCallContext()))
            events.Add(e);
        return (((CycleCompleted)events[^1]).Report, events);
    }

    private IEnumerable<RecordedRequest> Calls(string schema) =>
        _openRouter.Requests.Where(r => r.Body["response_format"]?["json_schema"]?["name"]?.GetValue<string>() == schema);

    /// <summary>The Literature step's searches (reference checks, which look up titles and DOIs, are not counted).</summary>
    private int Searches => _library.Requests.Count(r => r.Service == "europepmc" || (r.Service == "arxiv" && r.Query["search_query"].ToString().Contains("all:")));

    private static string UserPrompt(RecordedRequest request) =>
        request.Body["messages"]!.AsArray().Last()!["content"]!.GetValue<string>();

    [Fact]
    public async Task ACycle_ReadsTheLiteratureFirst_KeepsThePapersClosestToTheGoal_AndGroundsItsPromptsInThem()
    {
        var state = new ResearchState(Goal);
        var (report, events) = await RunAsync(state);

        Assert.Equal(CycleOutcome.Completed, report.Outcome);
        Assert.Equal(CycleStep.Literature, report.Steps[0].Step);
        var snapshot = state.Snapshot();
        // Three arXiv papers on facade photovoltaics, twenty-five Europe PMC papers on cancer: the three on topic are
        // kept, closest first, numbered 1 to 3, and the cancer papers are left out as off-topic.
        Assert.Equal([1, 2, 3], snapshot.Papers.Select(p => p.Number));
        Assert.All(snapshot.Papers, p => Assert.Equal(LiteratureSource.ArXiv, p.Paper.Source));
        Assert.Equal(snapshot.Papers.OrderByDescending(p => p.Similarity), snapshot.Papers);
        Assert.All(snapshot.Papers, p => Assert.True(p.Similarity >= LiteratureAgent.MinimumSimilarity));
        var searched = Assert.Single(events.OfType<LiteratureSearched>());
        Assert.Equal(3, searched.Added.Count);
        Assert.Equal(3, report.Literature!.Added);
        Assert.Equal(25, report.Literature.OffTopic);
        Assert.Contains("3 new papers kept, 25 off-topic left out", report.Literature.Summary());
        Assert.Equal([LiteratureSource.ArXiv, LiteratureSource.EuropePmc], report.Literature.Sources.Select(s => s.Source));
        Assert.All(report.Literature.Sources, s => Assert.Null(s.Error));

        // One query call, then prompts that list the papers by number and ask for citations among them.
        var queryCall = Assert.Single(Calls("literature_queries"));
        Assert.Contains(Goal, UserPrompt(queryCall));
        var generation = Calls("generation").First();
        Assert.Contains("[1] ", UserPrompt(generation));
        Assert.Contains(snapshot.Papers[0].Paper.Title, UserPrompt(generation));
        var citationItems = generation.Body["response_format"]!["json_schema"]!["schema"]!["properties"]!["hypotheses"]!["items"]!["properties"]!["citations"]!["items"]!;
        Assert.Equal(1, citationItems["minimum"]!.GetValue<int>());
        Assert.Equal(3, citationItems["maximum"]!.GetValue<int>());
        Assert.Contains(snapshot.Hypotheses, h => h.Citations.Count > 0);
        Assert.All(snapshot.Hypotheses.SelectMany(h => h.Citations), n => Assert.InRange(n, 1, 3));
        Assert.All(Calls("reflection"), r => Assert.Contains("Papers retrieved from the literature", UserPrompt(r)));
        Assert.All(Calls("evolution"), r => Assert.Contains("Papers retrieved from the literature", UserPrompt(r)));

        // Every review shows the papers closest to its hypothesis, closest first.
        Assert.All(snapshot.Hypotheses.Where(h => h.Review is not null), h =>
        {
            Assert.Equal(LiteratureAgent.PriorWorkShown, h.Review!.ClosestPriorWork.Count);
            Assert.Equal(h.Review.ClosestPriorWork.OrderByDescending(p => p.Similarity), h.Review.ClosestPriorWork);
            Assert.All(h.Review.Citations, n => Assert.InRange(n, 1, 3));
        });
        // The references the model made up (the fake invents titles) were looked up in Crossref, found nowhere, and say so.
        var references = snapshot.Hypotheses.SelectMany(h => h.Review?.References ?? []).ToList();
        Assert.NotEmpty(references);
        Assert.All(references, r => Assert.Equal((ReferenceStatus.Unverified, "No Crossref record has this title."), (r.Status, r.Note)));
        Assert.Contains(_library.Requests, r => r.Service == "crossref");
        // The plan counted the query call, and the fake saw exactly the calls the plan priced.
        Assert.Equal(_openRouter.Requests.Count, report.LlmCalls);
    }

    [Fact]
    public async Task LibrariesDown_TheCycleStillCompletes_AndSaysLiteratureWasUnavailable()
    {
        _library.Fault = LiteratureFault.Unavailable;
        var state = new ResearchState(Goal);

        var (report, _) = await RunAsync(state);

        Assert.Equal(CycleOutcome.Completed, report.Outcome);
        Assert.Empty(report.Failures);
        Assert.True(report.Literature!.AllSourcesFailed);
        Assert.Contains("Literature was unavailable this cycle", report.Literature.Summary());
        Assert.Contains("arXiv: unavailable (arXiv answered HTTP 503", report.Literature.Summary());
        Assert.Empty(state.Snapshot().Papers);
        Assert.NotEmpty(state.Snapshot().Hypotheses);
        Assert.All(Calls("generation"), r => Assert.DoesNotContain("Papers retrieved from the literature", UserPrompt(r)));
    }

    [Fact]
    public async Task HangingLibraries_AreLeftBehindAtTheirTimeout_AndTheCycleGoesOn()
    {
        _library.Fault = LiteratureFault.Hang;
        await using var services = Services(maxPapers: 4, timeoutSeconds: 1);
        var state = new ResearchState(Goal);

        // Bounded, so a client that waits forever fails the test instead of hanging the run.
        var (report, _) = await RunAsync(state, services).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(CycleOutcome.Completed, report.Outcome);
        Assert.All(report.Literature!.Sources, s => Assert.Contains("did not answer within 1 s", s.Error));
        Assert.NotEmpty(state.Snapshot().Hypotheses);
        // The reference checks hung too: unverified, saying they could not be made, none left unchecked.
        var references = state.Snapshot().Hypotheses.SelectMany(h => h.Review?.References ?? []).ToList();
        Assert.NotEmpty(references);
        Assert.All(references, r => Assert.Equal(ReferenceStatus.Unverified, r.Status));
        Assert.All(references, r => Assert.True(r.Note!.Contains("could not be checked") || r.Note.Contains("did not finish"), r.Note));
    }

    [Fact]
    public async Task ALaterCycle_KeepsThePapersFoundBefore_AndAddsOnlyNewOnesAfterThem()
    {
        var state = new ResearchState(Goal);
        await RunAsync(state);
        var first = state.Snapshot().Papers;

        // The next search finds the same papers again, and three new versions of them under other ids and titles.
        _library.EuropePmcBody = TestData.Read("europepmc-search-empty-2025.json");
        _library.ArxivBody = TestData.Read("arxiv-query-2026-07.xml")
            .Replace("abs/25", "abs/26").Replace("<title>Facade", "<title>Revisiting facade").Replace("<title>Solar PV", "<title>Revisiting solar PV")
            .Replace("<title>Assessment of", "<title>Revisiting the assessment of");
        var (report, _) = await RunAsync(state);

        var papers = state.Snapshot().Papers;
        Assert.Equal(first, papers.Take(first.Count), (a, b) => a.Number == b.Number && a.Paper.Key == b.Paper.Key);
        Assert.True(papers.Count > first.Count, "the second search added nothing");
        Assert.Equal(Enumerable.Range(1, papers.Count), papers.Select(p => p.Number));
        Assert.Equal(papers.Count - first.Count, report.Literature!.Added);
        Assert.Equal(papers.Count, papers.Select(p => p.Paper.Key).Distinct().Count());
    }

    [Fact]
    public async Task TheSameGoalAgain_IsSearchedFromTheCache_WithoutAQueryCallOrALibraryRequest()
    {
        await RunAsync(new ResearchState(Goal));
        var searches = Searches;
        var queryCalls = Calls("literature_queries").Count();

        var second = new ResearchState(Goal);
        var (report, _) = await RunAsync(second);

        Assert.Equal(searches, Searches);
        Assert.Equal(queryCalls, Calls("literature_queries").Count());
        Assert.All(report.Literature!.Sources, s => Assert.True(s.FromCache));
        Assert.Equal(3, second.Snapshot().Papers.Count);
        Assert.Equal(0, report.Steps[0].Calls);
    }

    [Fact]
    public async Task AFailedQueryCall_SearchesTheGoalsOwnWords_AndReportsTheFailure()
    {
        // The query call is the cycle's first: an answer that cannot be read, twice (the retry too).
        _openRouter.Enqueue(FaultKind.Malformed, FaultKind.Malformed);
        var state = new ResearchState(Goal);

        var (report, _) = await RunAsync(state);

        var failure = Assert.Single(report.Failures);
        Assert.Equal(CycleStep.Literature, failure.Step);
        Assert.NotNull(report.Literature!.QueryNote);
        Assert.Equal(LiteratureAgent.FallbackQueries(Goal), report.Literature.Queries);
        Assert.NotEmpty(state.Snapshot().Papers);
        Assert.Equal(CycleOutcome.CompletedWithFailures, report.Outcome);
    }

    [Fact]
    public void ThePlanAndTheEstimate_CountTheQueryCall_OnlyWhenTheDeploymentSearches()
    {
        var searching = Settings();
        var silent = searching with { LiteraturePapers = 0 };
        var model = new CoScientist.Core.Models.ModelInfo("m", "m", 0.000001m, 0.000002m, 100_000, null, new HashSet<string>());

        Assert.Equal(1, CyclePlan.For(searching, null).LiteratureQueryCalls);
        Assert.Equal(CyclePlan.For(silent, null).Calls + 1, CyclePlan.For(searching, null).Calls);
        Assert.True(CostEstimator.Estimate(searching, model, Goal, null).ExpectedUsd > CostEstimator.Estimate(silent, model, Goal, null).ExpectedUsd);
        Assert.Equal(4, searching.LiteraturePapers);
    }

    [Fact]
    public void AHypothesisThatRestatesAPaper_IsFlaggedAsLikelyNotNovel_ButRelatedWorkIsNot()
    {
        var papers = CoScientist.Core.Literature.ArxivFeedParser.Parse(TestData.Read("arxiv-query-2026-07.xml"))
            .Select((p, i) => new ResearchPaper(i + 1, p, 1, 0) { Embedding = CoreHarness.SharedEmbeddings.Embed(new ResearchPaper(i + 1, p, 1, 0).Describe()) })
            .ToList();
        Hypothesis Hypothesis(string title, string statement, string rationale) => new()
        {
            Id = "H001", Title = title, Statement = statement, Rationale = rationale, Prediction = "", CycleCreated = 1,
        };
        var restated = Hypothesis("Facade segmentation finds where photovoltaics fit on building facades",
            "A pipeline that fine-tunes a SegFormer semantic segmentation model on the CMP Facades dataset can automatically identify the facade surfaces suitable for building integrated photovoltaic (PV) panels and estimate their solar energy potential.",
            "Machine learning for PV planning is well researched on rooftops but scarce and oversimplified for facades.");
        var related = Hypothesis("Light-coloured pavement raises the yield of facade photovoltaics",
            "Vertical photovoltaic modules on the lower floors of a building facade produce more energy when the street below is paved with high-albedo material, because reflected light reaches their lower cells.",
            "Ground reflection is a large share of the light that reaches vertical surfaces in dense streets.");

        var restatedWork = LiteratureAgent.ClosestPriorWork(CoreHarness.SharedEmbeddings.Embed(restated.Describe()), papers);
        var relatedWork = LiteratureAgent.ClosestPriorWork(CoreHarness.SharedEmbeddings.Embed(related.Describe()), papers);

        Assert.Equal(1, restatedWork[0].PaperNumber);
        Assert.True(restatedWork[0].Similarity >= LiteratureAgent.NotNovelSimilarity, $"restated: {restatedWork[0].Similarity}");
        Assert.True(relatedWork[0].Similarity < LiteratureAgent.NotNovelSimilarity, $"related: {relatedWork[0].Similarity}");
        Assert.True(relatedWork[0].Similarity > 0.3, $"related: {relatedWork[0].Similarity}");
    }
}
