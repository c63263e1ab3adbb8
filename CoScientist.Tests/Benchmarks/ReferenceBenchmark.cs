using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CoScientist.Core.Agents.Reflection;
using CoScientist.Core.Literature;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Benchmarks;

/// <summary>
/// Every reference in the recorded Gemini reviews, checked by the real <see cref="ReferenceVerifier"/>. Offline, the fake
/// literature server answers with the recorded fixtures only, so the count says which of those references match a recorded
/// record, not how many are real; with <c>--live</c> the clients ask Crossref and arXiv themselves.
/// </summary>
public static class ReferenceBenchmark
{
    private const string ContactVariable = "literature__contact_email";

    public static async Task RunAsync(bool live)
    {
        var references = RecordedReferences();
        if (live)
        {
            await LiveAsync(references);
            return;
        }
        Console.WriteLine("Reference checks, offline: the fake Crossref and arXiv answer every title search with the recorded fixtures, " +
                          "a DOI lookup with the recorded work only for its own DOI (else 404), an arXiv id lookup with the recorded entry of that id (else none)");
        await using var server = await FakeLiteratureServer.StartAsync(TimeProvider.System);
        server.Respond = (request, body) => RecordedAnswer(request, body);
        await CheckAsync("the model's references", references, server.BaseUrl, contactEmail: null, showEach: false);
        var arxivRequests = server.Requests.Count(r => r.Service == "arxiv");
        var crossrefRequests = server.Requests.Count(r => r.Service == "crossref");
        Console.WriteLine($"    requests: {crossrefRequests} to Crossref, {arxivRequests} to arXiv; against the real services arXiv's spacing alone " +
                          $"would make the check take at least {(arxivRequests - 1) * ArxivClient.Spacing.TotalMinutes:F1} min");

        // A control: the same pipeline on references that quote the recorded records, so a zero above means "no match", not "broken".
        var control = new List<Reference>
        {
            new("Methylphenidate exposure induces dopamine neuron loss and activation of microglia in the basal ganglia of mice", "PLoS ONE, 2012")
            {
                Doi = "10.1371/journal.pone.0033693",
            },
            new("Facade segmentation for solar photovoltaic suitability", "arXiv 2025"),
            new("Solar PV installation potential assessment on building facades based on vision-language foundation models"),
            new("Assessment of East-West and South-North Facing Vertical Bifacial Photovoltaic Modules for Agrivoltaics and Dual-Land Use Applications in India"),
            new("Communicating ecology", "Ecology, 2022"),
            new("Chemical Ecology", "Oxford Bibliographies"),
        };
        await CheckAsync("control: references quoting the recorded records", control, server.BaseUrl, contactEmail: null, showEach: true);
    }

    private static async Task LiveAsync(IReadOnlyList<Reference> references)
    {
        var contact = Environment.GetEnvironmentVariable(ContactVariable);
        Console.WriteLine($"Reference checks, live: Crossref ({(string.IsNullOrWhiteSpace(contact) ? $"no contact email; set {ContactVariable} to join its polite pool" : "polite pool, contact " + contact)}) " +
                          $"and arXiv (one request every {ArxivClient.Spacing.TotalSeconds:0} s)");
        await CheckAsync("the model's references", references, baseUrl: null, contact, showEach: true);
    }

    /// <summary>The references of every recorded reflection answer, read the way the Reflection agent reads them.</summary>
    private static List<Reference> RecordedReferences()
    {
        var references = new List<Reference>();
        foreach (var item in JsonNode.Parse(TestData.Read("llm-outputs-gemini-2025.json"))!.AsArray())
        {
            if (item!["kind"]!.GetValue<string>() != "reflection") continue;
            if (JsonRecovery.TryParse(item["raw"]!.GetValue<string>()) is { } node)
                references.AddRange(ReflectionAgent.Read(node).References);
        }
        return references;
    }

    private static string? RecordedAnswer(LiteratureRequest request, string body)
    {
        if (request.Service == "crossref" && request.Path.StartsWith("/crossref/works/", StringComparison.Ordinal))
            return request.Path.Equals("/crossref/works/10.1371/journal.pone.0033693", StringComparison.OrdinalIgnoreCase) ? body : null;
        if (request.Service == "arxiv" && request.Query["id_list"] is [{ } id])
        {
            var feed = XDocument.Parse(body);
            XNamespace atom = "http://www.w3.org/2005/Atom";
            feed.Root!.Elements(atom + "entry").Where(e => !e.Element(atom + "id")!.Value.Contains("/abs/" + id, StringComparison.Ordinal)).Remove();
            return feed.ToString();
        }
        return body;
    }

    private static async Task CheckAsync(string label, IReadOnlyList<Reference> references, string? baseUrl, string? contactEmail, bool showEach)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "coscientist-reference-benchmark-" + Guid.NewGuid().ToString("N"));
        var options = new LiteratureOptions { ContactEmail = string.IsNullOrWhiteSpace(contactEmail) ? null : contactEmail, TimeoutSeconds = 30 };
        if (baseUrl is not null)
        {
            options.ArxivBaseUrl = baseUrl + "/arxiv";
            options.CrossrefBaseUrl = baseUrl + "/crossref";
            // The pacers' waits are skipped on a test clock, which jumps ahead; a long timeout keeps the jumps from ending requests.
            options.TimeoutSeconds = 600;
        }
        var clock = baseUrl is null ? TimeProvider.System : new WaitingClock();
        using var http = new HttpClient();
        var cache = new LiteratureCache(Options.Create(new StorageOptions { DataDir = dataDir }), clock, NullLogger<LiteratureCache>.Instance);
        using var crossref = new CrossrefClient(http, Options.Create(options), cache, clock, NullLogger<CrossrefClient>.Instance);
        using var arxiv = new ArxivClient(http, Options.Create(options), cache, clock, NullLogger<ArxivClient>.Instance);
        var verifier = new ReferenceVerifier(crossref, arxiv, NullLogger<ReferenceVerifier>.Instance);

        var watch = Stopwatch.StartNew();
        var checking = verifier.VerifyAllAsync(references);
        var results = clock is WaitingClock waiting ? await waiting.RunAsync(checking, below: TimeSpan.FromSeconds(10)) : await checking;
        watch.Stop();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }

        if (showEach)
            foreach (var r in results)
                Console.WriteLine($"    {r.Status,-10} {Shorten(r.Title, 70),-70} {(r.Status == ReferenceStatus.Verified ? r.Record!.Url : r.Note)}");
        var unverified = results.Where(r => r.Status != ReferenceStatus.Verified).ToList();
        var couldNotCheck = unverified.Count(r => r.Note!.Contains("could not be checked", StringComparison.Ordinal));
        var claimed = references.Select(ReferenceVerifier.WithClaimedIds).ToList();
        Console.WriteLine($"  {label}: {results.Count} references, {claimed.Count(r => r.Doi is not null)} with a DOI, " +
                          $"{claimed.Count(r => r.ArxivId is not null)} with an arXiv id; " +
                          $"verified {results.Count(r => r.Status == ReferenceStatus.Verified)}, " +
                          $"unverified (no match) {unverified.Count - couldNotCheck}, unverified (could not check) {couldNotCheck}");
        Console.WriteLine($"    of the unverified: {Count(unverified, "gave no title")} had no title (a bare number such as a PubMed id), " +
                          $"{Count(unverified, "too short")} too short a title and no venue, {Count(unverified, "this short")} a short title with no record in the venue and year given, " +
                          $"{Count(unverified, "belongs to a different work")} an identifier of another work, " +
                          $"{Count(unverified, "has no record of its")} an identifier the source does not know");
        Console.WriteLine($"    {watch.Elapsed.TotalSeconds:F1} s wall");
    }

    private static int Count(IEnumerable<Reference> references, string phrase) => references.Count(r => r.Note!.Contains(phrase, StringComparison.Ordinal));

    private static string Shorten(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
