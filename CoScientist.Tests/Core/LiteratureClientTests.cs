using CoScientist.Core.Literature;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Core;

/// <summary>The literature clients against an in-process fake of the three services, on a clock the test drives.</summary>
public sealed class LiteratureClientTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly WaitingClock _clock = new();
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "coscientist-literature-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new();
    private FakeLiteratureServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeLiteratureServer.StartAsync(_clock);

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    private LiteratureOptions Options(string? contactEmail = null) => new()
    {
        ArxivBaseUrl = _server.BaseUrl + "/arxiv",
        EuropePmcBaseUrl = _server.BaseUrl + "/europepmc",
        CrossrefBaseUrl = _server.BaseUrl + "/crossref",
        TimeoutSeconds = (int)Timeout.TotalSeconds,
        ContactEmail = contactEmail,
    };

    private LiteratureCache Cache() => new(Microsoft.Extensions.Options.Options.Create(new StorageOptions { DataDir = _dataDir }), _clock, NullLogger<LiteratureCache>.Instance);

    private ArxivClient Arxiv() => new(_http, Microsoft.Extensions.Options.Options.Create(Options()), Cache(), _clock, NullLogger<ArxivClient>.Instance);
    private EuropePmcClient EuropePmc() => new(_http, Microsoft.Extensions.Options.Options.Create(Options()), Cache(), _clock, NullLogger<EuropePmcClient>.Instance);
    private CrossrefClient Crossref(string? contactEmail = null) => new(_http, Microsoft.Extensions.Options.Options.Create(Options(contactEmail)), Cache(), _clock, NullLogger<CrossrefClient>.Instance);

    private Task<LiteratureResult> Run(Task<LiteratureResult> search) => _clock.RunAsync(search, below: Timeout);

    [Fact]
    public async Task ArxivSearch_AsksForEveryWordByRelevance_AndReturnsTheFeedsPapers()
    {
        using var arxiv = Arxiv();
        var result = await Run(arxiv.SearchAsync("building-integrated photovoltaics (BIPV) OR \"facades\"", 5));

        Assert.Null(result.Error);
        Assert.Equal(3, result.Papers.Count);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("all:building-integrated AND all:photovoltaics AND all:BIPV AND all:facades", request.Query["search_query"].ToString());
        Assert.Equal("relevance", request.Query["sortBy"].ToString());
        Assert.Equal("5", request.Query["max_results"].ToString());
        Assert.StartsWith("CoScientist/", request.UserAgent);
    }

    [Fact]
    public async Task ArxivUnderTwentyConcurrentSearches_KeepsThreeSecondsBetweenRequests_AndAsksOncePerQuery()
    {
        using var arxiv = Arxiv();
        var queries = Enumerable.Range(0, 20).Select(i => $"solar cells topic{i % 5}").ToList();

        var results = await Run(Task.WhenAll(queries.Select(q => arxiv.SearchAsync(q, 8))).ContinueWith(t => t.Result[0]));
        var again = await Run(arxiv.SearchAsync("Solar  cells TOPIC3", 8));

        var times = _server.Requests.Select(r => r.At).Order().ToList();
        Assert.Equal(5, times.Count); // four callers per query, one request each, and the repeat came from the cache
        // The 3 s arXiv asks for, as a number rather than ArxivClient.Spacing: lowering that constant must fail here.
        Assert.All(times.Zip(times.Skip(1)), pair => Assert.True(pair.Second - pair.First >= TimeSpan.FromSeconds(3), $"{pair.First:T} then {pair.Second:T}"));
        Assert.Null(results.Error);
        Assert.True(again.FromCache);
        Assert.Equal(3, again.Papers.Count);
    }

    [Fact]
    public async Task RepeatedSearch_IsServedFromTheCache_UntilAWeekHasPassed()
    {
        using var europePmc = EuropePmc();
        var first = await Run(europePmc.SearchAsync("cancer", 25));
        _clock.Advance(TimeSpan.FromDays(6));
        var second = await Run(EuropePmc().SearchAsync("  Cancer ", 25)); // another client instance shares the cache file

        Assert.Equal(25, first.Papers.Count);
        Assert.Equal(25, second.Papers.Count);
        Assert.True(second.FromCache);
        Assert.Single(_server.Requests);

        _clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        var third = await Run(europePmc.SearchAsync("cancer", 25));
        Assert.False(third.FromCache);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task RateLimitedOnce_WaitsWhatRetryAfterSays_ThenAnswers()
    {
        using var crossref = Crossref();
        _server.Queued.Enqueue(LiteratureFault.RateLimited);
        _server.RetryAfterSeconds = 7;

        var result = await Run(crossref.SearchAsync("ecology", 2));

        Assert.Null(result.Error);
        Assert.Equal(2, result.Papers.Count);
        var times = _server.Requests.Select(r => r.At).ToList();
        Assert.Equal(2, times.Count);
        Assert.True(times[1] - times[0] >= TimeSpan.FromSeconds(7));
    }

    [Theory]
    [InlineData(LiteratureFault.RateLimited, "429")]
    [InlineData(LiteratureFault.Unavailable, "503")]
    public async Task PersistentlyRefusingSource_GivesAnEmptyResultWithTheReason_AfterBoundedAttempts(LiteratureFault fault, string status)
    {
        using var europePmc = EuropePmc();
        _server.Fault = fault;

        var result = await Run(europePmc.SearchAsync("cancer", 10));

        Assert.Empty(result.Papers);
        Assert.Contains(status, result.Error);
        Assert.Equal(LiteratureFetcher.MaxAttempts, _server.Requests.Count);
    }

    [Fact]
    public async Task RetryAfterLongerThanAMinute_IsNotWaitedFor()
    {
        using var crossref = Crossref();
        _server.Fault = LiteratureFault.RateLimited;
        _server.RetryAfterSeconds = 3600;

        var result = await Run(crossref.SearchAsync("ecology", 2));

        Assert.Contains("pause of 3600 s", result.Error);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task HangingSource_IsAbandonedAtTheTimeout_WithTheReason()
    {
        using var arxiv = Arxiv();
        _server.Fault = LiteratureFault.Hang;

        var search = arxiv.SearchAsync("perovskite", 3);
        await _server.WaitForRequestsAsync(1);
        _clock.Advance(Timeout + TimeSpan.FromSeconds(1));
        var result = await search.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Empty(result.Papers);
        Assert.Contains("did not answer within 60 s", result.Error);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task GarbledAnswers_GiveEmptyResultsWithTheReason_FromEverySource()
    {
        _server.Fault = LiteratureFault.Malformed;
        using var arxiv = Arxiv();
        using var europePmc = EuropePmc();
        using var crossref = Crossref();

        LiteratureResult[] results =
        [
            await Run(arxiv.SearchAsync("graphene", 3)),
            await Run(europePmc.SearchAsync("graphene", 3)),
            await Run(crossref.SearchAsync("graphene", 3)),
            await Run(crossref.GetByDoiAsync("10.1371/journal.pone.0033693")),
        ];

        Assert.All(results, r => Assert.Empty(r.Papers));
        Assert.All(results, r => Assert.Contains("not a search result", r.Error));
    }

    [Fact]
    public async Task SearchWithNoHits_IsAnEmptyResultWithoutError()
    {
        _server.EuropePmcBody = TestData.Read("europepmc-search-empty-2025.json");
        using var europePmc = EuropePmc();

        var result = await Run(europePmc.SearchAsync("asdkfjhasdkfjh", 10));

        Assert.Empty(result.Papers);
        Assert.Null(result.Error);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("json", request.Query["format"].ToString());
        Assert.Equal("core", request.Query["resultType"].ToString());
        Assert.Equal("10", request.Query["pageSize"].ToString());
    }

    [Fact]
    public async Task Crossref_NamesItsContact_AndUsesTheRightQueryForEachKindOfLookup()
    {
        using var crossref = Crossref("lab@example.org");

        var search = await Run(crossref.SearchAsync("ecology & evolution", 2));
        var reference = await Run(crossref.FindAsync("Sadasivan S. Methylphenidate exposure. PLoS ONE 2012"));
        var work = await Run(crossref.GetByDoiAsync("https://doi.org/10.1371/JOURNAL.PONE.0033693"));

        Assert.Equal(2, search.Papers.Count);
        Assert.Equal(2, reference.Papers.Count);
        Assert.Equal("10.1371/journal.pone.0033693", Assert.Single(work.Papers).Doi);
        var requests = _server.Requests;
        Assert.Equal("ecology & evolution", requests[0].Query["query"].ToString());
        Assert.Equal("2", requests[0].Query["rows"].ToString());
        Assert.Equal("Sadasivan S. Methylphenidate exposure. PLoS ONE 2012", requests[1].Query["query.bibliographic"].ToString());
        Assert.Equal("/crossref/works/10.1371/journal.pone.0033693", requests[2].Path);
        Assert.All(requests, r => Assert.Equal("lab@example.org", r.Query["mailto"].ToString()));
        Assert.All(requests, r => Assert.Contains("mailto:lab@example.org", r.UserAgent));
    }

    [Fact]
    public async Task CallerCancellation_StillEndsTheWaitWithAnException()
    {
        using var arxiv = Arxiv();
        _server.Fault = LiteratureFault.Hang;
        using var cancel = new CancellationTokenSource();

        var search = arxiv.SearchAsync("perovskite", 3, cancel.Token);
        await _server.WaitForRequestsAsync(1);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => search);
    }

    [Fact]
    public async Task TurnedOff_AsksNoOne()
    {
        var options = Options();
        options.Enabled = false;
        using var arxiv = new ArxivClient(_http, Microsoft.Extensions.Options.Options.Create(options), Cache(), _clock, NullLogger<ArxivClient>.Instance);

        var result = await arxiv.SearchAsync("anything", 3);

        Assert.Contains("turned off", result.Error);
        Assert.Empty(_server.Requests);
    }
}
