using System.Text.Json.Nodes;
using System.Xml.Linq;
using CoScientist.Core.Literature;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Core;

/// <summary>
/// The model's references checked against the fake Crossref and arXiv, which answer with the recorded fixtures: the
/// Crossref work 10.1371/journal.pone.0033693 (methylphenidate in mice) and the arXiv feed of three solar-facade papers.
/// </summary>
public sealed class ReferenceVerifierTests : IAsyncLifetime
{
    private const string MethylphenidateTitle = "Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of Microglia in the Basal Ganglia of Mice";
    private const string MethylphenidateDoi = "10.1371/journal.pone.0033693";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly WaitingClock _clock = new();
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "coscientist-references-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new();
    private readonly List<IDisposable> _clients = [];
    private FakeLiteratureServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeLiteratureServer.StartAsync(_clock);

    public async Task DisposeAsync()
    {
        _clients.ForEach(c => c.Dispose());
        _http.Dispose();
        await _server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    private ReferenceVerifier Verifier() => new(Crossref(), Arxiv(), NullLogger<ReferenceVerifier>.Instance);

    private IOptions<LiteratureOptions> Options() => Microsoft.Extensions.Options.Options.Create(new LiteratureOptions
    {
        ArxivBaseUrl = _server.BaseUrl + "/arxiv",
        EuropePmcBaseUrl = _server.BaseUrl + "/europepmc",
        CrossrefBaseUrl = _server.BaseUrl + "/crossref",
        TimeoutSeconds = (int)Timeout.TotalSeconds,
    });

    private LiteratureCache Cache() =>
        new(Microsoft.Extensions.Options.Options.Create(new StorageOptions { DataDir = _dataDir }), _clock, NullLogger<LiteratureCache>.Instance);

    private CrossrefClient Crossref() => Kept(new CrossrefClient(_http, Options(), Cache(), _clock, NullLogger<CrossrefClient>.Instance));

    private ArxivClient Arxiv() => Kept(new ArxivClient(_http, Options(), Cache(), _clock, NullLogger<ArxivClient>.Instance));

    private T Kept<T>(T client) where T : IDisposable
    {
        _clients.Add(client);
        return client;
    }

    private Task<T> Run<T>(Task<T> task) => _clock.RunAsync(task, below: Timeout);

    /// <summary>The recorded Crossref work as a one-item search result, the way a bibliographic query that found it answers.</summary>
    private static string CrossrefListOfTheRecordedWork()
    {
        var work = JsonNode.Parse(TestData.Read("crossref-work-2026-06.json"))!;
        return new JsonObject
        {
            ["status"] = "ok",
            ["message-type"] = "work-list",
            ["message"] = new JsonObject { ["total-results"] = 1, ["items"] = new JsonArray(work["message"]!.DeepClone()) },
        }.ToJsonString();
    }

    /// <summary>The recorded arXiv feed cut down to the entries with these ids, the way an id_list query answers.</summary>
    private static string ArxivFeedWith(params string[] ids)
    {
        var feed = XDocument.Parse(TestData.Read("arxiv-query-2026-07.xml"));
        XNamespace atom = "http://www.w3.org/2005/Atom";
        feed.Root!.Elements(atom + "entry").Where(e => !ids.Any(id => e.Element(atom + "id")!.Value.Contains("/abs/" + id))).Remove();
        return feed.ToString();
    }

    [Fact]
    public async Task MadeUpReference_IsUnverified_WithANoteThatNoRecordHasItsTitle()
    {
        var reference = new Reference("Quantum coherence in senescent fibroblasts restores youthful gait in aged zebrafish", "Nature Aging, 2024",
            "https://www.nature.com/articles/s43587-024-99999");

        var result = await Run(Verifier().VerifyAsync(reference));

        Assert.Equal(ReferenceStatus.Unverified, result.Status);
        Assert.Null(result.Record);
        Assert.Equal("No Crossref record has this title.", result.Note);
        Assert.Equal(reference.Url, result.Url); // kept for the record, never turned into the record's link
        // A journal article is looked for in Crossref only: arXiv's 3-second pace is kept for what claims to be on arXiv.
        var request = Assert.Single(_server.Requests);
        Assert.Equal("Quantum coherence in senescent fibroblasts restores youthful gait in aged zebrafish Nature Aging, 2024",
            request.Query["query.bibliographic"].ToString());
    }

    [Fact]
    public async Task MadeUpPreprint_IsLookedForInCrossrefThenByTitleOnArxiv_AndIsUnverified()
    {
        var reference = new Reference("Quantum coherence in senescent fibroblasts restores youthful gait in aged zebrafish", "arXiv preprint, 2024");

        var result = await Run(Verifier().VerifyAsync(reference));

        Assert.Equal(ReferenceStatus.Unverified, result.Status);
        Assert.Equal("No Crossref or arXiv record has this title.", result.Note);
        Assert.Equal(["crossref", "arxiv"], _server.Requests.Select(r => r.Service));
        Assert.Equal("ti:Quantum AND ti:coherence AND ti:senescent AND ti:fibroblasts AND ti:restores AND ti:youthful AND ti:gait AND ti:aged AND ti:zebrafish",
            _server.Requests[1].Query["search_query"].ToString());
    }

    [Fact]
    public async Task RealReferenceFoundByItsTitle_IsVerified_AndLinksToTheRecordNotTheModelsUrl()
    {
        _server.CrossrefListBody = CrossrefListOfTheRecordedWork();
        var reference = new Reference("Methylphenidate exposure induces dopamine neuron loss and activation of microglia in the basal ganglia of mice.",
            "PLoS ONE, 2012", "https://example.org/made-up-link");

        var result = await Run(Verifier().VerifyAsync(reference));

        Assert.Equal(ReferenceStatus.Verified, result.Status);
        Assert.Equal($"https://doi.org/{MethylphenidateDoi}", result.Record!.Url);
        Assert.Equal(MethylphenidateTitle, result.Record.Title);
        Assert.Equal(MethylphenidateDoi, result.Doi);
        Assert.Null(result.Note);
        Assert.Single(_server.Requests); // found on Crossref, so arXiv is not asked
    }

    [Fact]
    public async Task RealDoiAttachedToAnotherPapersTitle_IsUnverified_NamingTheWorkTheDoiBelongsTo()
    {
        var reference = new Reference("The Hallmarks of Aging", "Cell, 2013") { Doi = "https://doi.org/10.1371/JOURNAL.PONE.0033693" };

        var result = await Run(Verifier().VerifyAsync(reference));

        Assert.Equal(ReferenceStatus.Unverified, result.Status);
        Assert.Null(result.Record);
        Assert.Equal($"Its DOI {MethylphenidateDoi} belongs to a different work: \u201c{MethylphenidateTitle}\u201d.", result.Note);
        var request = Assert.Single(_server.Requests);
        Assert.Equal($"/crossref/works/{MethylphenidateDoi}", request.Path);
    }

    [Fact]
    public async Task DoiInTheModelsLink_WithTheRightTitle_IsVerifiedWithoutASearch()
    {
        var reference = new Reference(MethylphenidateTitle.ToUpperInvariant(), "PLoS One", $"https://doi.org/{MethylphenidateDoi}");

        var result = await Run(Verifier().VerifyAsync(reference));

        Assert.Equal(ReferenceStatus.Verified, result.Status);
        Assert.Equal($"https://doi.org/{MethylphenidateDoi}", result.Record!.Url);
        Assert.Equal($"/crossref/works/{MethylphenidateDoi}", Assert.Single(_server.Requests).Path);
    }

    [Fact]
    public async Task DoiCrossrefDoesNotKnow_IsSaidSo_AndTheTitleIsStillSearchedFor()
    {
        _server.Respond = (request, body) => request.Path.StartsWith("/crossref/works/10.9999/", StringComparison.Ordinal) ? null : body;
        _server.CrossrefListBody = CrossrefListOfTheRecordedWork();
        var found = new Reference(MethylphenidateTitle) { Doi = "10.9999/made.up.1" };
        var notFound = new Reference("Telomerase gene therapy in adult and old mice delays aging and increases longevity without increasing cancer")
        {
            Doi = "10.9999/made.up.2",
        };

        var results = await Run(Verifier().VerifyAllAsync([found, notFound]));

        Assert.Equal(ReferenceStatus.Verified, results[0].Status);
        Assert.Equal(MethylphenidateDoi, results[0].Doi);
        Assert.Equal(ReferenceStatus.Unverified, results[1].Status);
        Assert.Equal("Crossref has no record of its DOI 10.9999/made.up.2. No Crossref record has this title.", results[1].Note);
        Assert.Equal("10.9999/made.up.2", results[1].Doi);
    }

    [Fact]
    public async Task ArxivIdWithItsTitle_IsVerified_AndLinksToTheAbsPage()
    {
        _server.Respond = (request, body) => request.Query["id_list"] is [{ } id] ? ArxivFeedWith(id) : body;
        var reference = new Reference("Facade segmentation for solar photovoltaic suitability", Url: "https://arxiv.org/abs/2511.18882v1");

        var result = await Run(Verifier().VerifyAsync(reference));

        Assert.Equal(ReferenceStatus.Verified, result.Status);
        Assert.Equal("https://arxiv.org/abs/2511.18882", result.Record!.Url);
        Assert.Equal("2511.18882", result.ArxivId);
        Assert.Equal("2511.18882", Assert.Single(_server.Requests).Query["id_list"].ToString());
    }

    [Fact]
    public async Task ArxivIdOfAnotherPaper_IsUnverified_NamingThatPaper()
    {
        _server.Respond = (request, body) => request.Query["id_list"] is [{ } id] ? ArxivFeedWith(id) : body;
        var reference = new Reference("arXiv:2510.00797 Facade segmentation for solar photovoltaic suitability");

        var result = await Run(Verifier().VerifyAsync(reference));

        Assert.Equal(ReferenceStatus.Unverified, result.Status);
        Assert.StartsWith("Its arXiv id 2510.00797 belongs to a different work: \u201cSolar PV Installation Potential", result.Note);
        Assert.Equal("2510.00797", result.ArxivId);
    }

    [Fact]
    public async Task CrossrefUnavailable_LeavesTheReferenceUnverified_SayingItCouldNotBeChecked_NotThatItIsMadeUp()
    {
        for (var i = 0; i < LiteratureFetcher.MaxAttempts; i++) _server.Queued.Enqueue(LiteratureFault.Unavailable);

        var result = await Run(Verifier().VerifyAsync(new Reference(MethylphenidateTitle, "PLoS ONE, 2012")));

        Assert.Equal(ReferenceStatus.Unverified, result.Status);
        Assert.Equal("No arXiv record has this title. Crossref could not be checked: Crossref answered HTTP 503 Service Unavailable, 3 times.", result.Note);
    }

    [Fact]
    public async Task CrossrefHanging_LeavesTheReferenceUnverified_SayingItCouldNotBeChecked()
    {
        _server.Queued.Enqueue(LiteratureFault.Hang);
        var verifying = Verifier().VerifyAsync(new Reference(MethylphenidateTitle) { Doi = MethylphenidateDoi });

        await _server.WaitForRequestsAsync(1);
        _clock.Advance(Timeout + TimeSpan.FromSeconds(1));
        var result = await Run(verifying);

        Assert.Equal(ReferenceStatus.Unverified, result.Status);
        Assert.Contains("Crossref could not be checked: Crossref did not answer within 60 s.", result.Note);
        Assert.DoesNotContain("No Crossref", result.Note);
        Assert.Equal(["crossref", "arxiv"], _server.Requests.Select(r => r.Service)); // Crossref is not asked again for the title
    }

    [Fact]
    public async Task CallerCancellation_EndsTheCheckWithAnException()
    {
        _server.Fault = LiteratureFault.Hang;
        using var cancel = new CancellationTokenSource();
        var verifying = Verifier().VerifyAsync(new Reference(MethylphenidateTitle), cancel.Token);

        await _server.WaitForRequestsAsync(1);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => verifying);
    }

    [Fact]
    public async Task TheSameReferenceCheckedAgain_AsksTheSourcesOnlyOnce()
    {
        var verifier = Verifier();
        var reference = new Reference("Quantum coherence in senescent fibroblasts restores youthful gait in aged zebrafish", "Nature Aging, 2024");

        var together = await Run(verifier.VerifyAllAsync([reference, reference, reference]));
        var again = await Run(Verifier().VerifyAsync(reference)); // another verifier, the same cache

        Assert.All(together.Append(again), r => Assert.Equal(ReferenceStatus.Unverified, r.Status));
        Assert.Equal(["crossref"], _server.Requests.Select(r => r.Service));
    }

    [Fact]
    public async Task VerifyAll_KeepsTheReferencesInTheirOrder()
    {
        _server.CrossrefListBody = CrossrefListOfTheRecordedWork();
        Reference[] references =
        [
            new("Quantum coherence in senescent fibroblasts restores youthful gait in aged zebrafish"),
            new(MethylphenidateTitle),
            new("29358625"),
        ];

        var results = await Run(Verifier().VerifyAllAsync(references));

        Assert.Equal(references.Select(r => r.Title), results.Select(r => r.Title));
        Assert.Equal([ReferenceStatus.Unverified, ReferenceStatus.Verified, ReferenceStatus.Unverified], results.Select(r => r.Status));
    }

    [Fact]
    public async Task BareNumberForATitle_IsUnverified_WithoutAskingAnyone()
    {
        var result = await Run(Verifier().VerifyAsync(new Reference("29358625")));

        Assert.Equal(ReferenceStatus.Unverified, result.Status);
        Assert.Equal("The model gave no title to check, only \u201c29358625\u201d.", result.Note);
        Assert.Empty(_server.Requests);
    }

    [Theory]
    [InlineData("Ecology, 2022", ReferenceStatus.Verified)]
    [InlineData("Ecology", ReferenceStatus.Verified)]
    [InlineData("Ecology, 2019", ReferenceStatus.Unverified)]
    [InlineData("Oxford Bibliographies", ReferenceStatus.Unverified)]
    [InlineData("Ecology and Evolution, 2022", ReferenceStatus.Unverified)]
    public async Task ShortGenericTitle_IsVerified_OnlyWhenTheRecordsJournalAndYearAgreeWithTheReference(string venue, ReferenceStatus expected)
    {
        // The recorded Crossref search answers with "Communicating Ecology" (Ecology, 2022) first: one of many works a two-word title could be.
        var result = await Run(Verifier().VerifyAsync(new Reference("Communicating ecology", venue)));

        Assert.Equal(expected, result.Status);
        if (expected == ReferenceStatus.Unverified)
            Assert.Equal("No Crossref record has this title in the venue and year given (a title this short needs both).", result.Note);
        Assert.Equal(["crossref"], _server.Requests.Select(r => r.Service)); // arXiv's records rarely name a journal
    }

    [Fact]
    public async Task ShortGenericTitleWithoutAVenue_IsNotSearchedFor()
    {
        var result = await Run(Verifier().VerifyAsync(new Reference("Communicating Ecology")));

        Assert.Equal(ReferenceStatus.Unverified, result.Status);
        Assert.Equal("The title is too short to identify one work by searching for it, and no venue was given.", result.Note);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task CrossrefRecordWithItsSubtitleStoredApart_MatchesTheFullTitle()
    {
        var work = JsonNode.Parse(TestData.Read("crossref-work-2026-06.json"))!;
        work["message"]!["title"] = new JsonArray("Methylphenidate Exposure Induces Dopamine Neuron Loss");
        work["message"]!["subtitle"] = new JsonArray("Activation of Microglia in the Basal Ganglia of Mice");
        _server.CrossrefWorkBody = work.ToJsonString();

        var result = await Run(Verifier().VerifyAsync(new Reference("Methylphenidate exposure induces dopamine neuron loss: activation of microglia in the basal ganglia of mice")
        {
            Doi = MethylphenidateDoi,
        }));

        Assert.Equal(ReferenceStatus.Verified, result.Status);
        Assert.Equal("Methylphenidate Exposure Induces Dopamine Neuron Loss: Activation of Microglia in the Basal Ganglia of Mice", result.Record!.Title);
    }

    [Fact]
    public async Task ArxivTitleSearch_AsksForTheTitlesDistinctiveWords_WhichCannotBecomeOperators()
    {
        var result = await Run(Arxiv().FindByTitleAsync("The ANDNOT of OR: -spin (glasses) in ti:quantum -- dots", 3));

        Assert.Null(result.Error);
        Assert.Equal(3, result.Papers.Count);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("ti:spin AND ti:glasses AND ti:ti AND ti:quantum AND ti:dots", request.Query["search_query"].ToString());
        Assert.Equal("3", request.Query["max_results"].ToString());
    }
}
