using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Literature;

/// <summary>
/// Searches arXiv's API. arXiv asks for one request every 3 seconds on one connection; the client is a singleton,
/// so that holds for the whole server, and with a shared <see cref="IPaceSchedule"/> the 3 seconds hold for the whole site.
/// </summary>
public sealed partial class ArxivClient : IDisposable
{
    public static readonly TimeSpan Spacing = TimeSpan.FromSeconds(3);
    private readonly RequestPacer _pacer;
    private readonly LiteratureFetcher _fetcher;
    private readonly LiteratureOptions _options;

    public ArxivClient(HttpClient http, IOptions<LiteratureOptions> options, LiteratureCache cache, TimeProvider clock, ILogger<ArxivClient> logger,
        LiteratureStats? stats = null, IPaceSchedule? pace = null)
    {
        _options = options.Value;
        _pacer = new RequestPacer(Spacing, maxConcurrent: 1, clock, "arxiv", pace);
        _fetcher = new LiteratureFetcher(LiteratureSource.ArXiv, http, _pacer, cache, _options, clock, logger, stats);
    }

    // Characters arXiv's query language gives meaning to; a user's words must not become operators.
    [GeneratedRegex(@"[^\p{L}\p{N}\-\.]+")]
    private static partial Regex NotAWordCharacter();

    private static readonly HashSet<string> Operators = ["and", "or", "andnot"];

    // Words a title search leaves out: arXiv's index drops them, and a title query needs only the words that tell titles apart.
    private static readonly HashSet<string> TitleStopWords = ["a", "an", "the", "and", "of", "in", "on", "for", "to", "with", "by", "at", "from", "via", "as", "into", "is", "are"];

    /// <summary>At most this many words of a title are searched for; more only makes the URL long.</summary>
    public const int MaxTitleTerms = 12;

    public Task<LiteratureResult> SearchAsync(string query, int maxResults, CancellationToken cancellationToken = default)
    {
        // Every word must appear somewhere (all:), ranked by relevance: callers pass a few keywords, not a paragraph.
        var searchQuery = string.Join(" AND ", Terms(query).Select(t => "all:" + t));
        return Search("search", query, searchQuery, maxResults, cancellationToken);
    }

    /// <summary>
    /// Papers matching any of the queries, in one request: each query's words must all appear (all:), ranked by
    /// relevance. One request instead of one per query keeps a cycle to a single 3-second slot of arXiv's pace.
    /// </summary>
    public Task<LiteratureResult> SearchAnyAsync(IReadOnlyList<string> queries, int maxResults, CancellationToken cancellationToken = default)
    {
        var clauses = queries
            .Select(q => string.Join(" AND ", Terms(q).Select(t => "all:" + t)))
            .Where(c => c.Length > 0)
            .Distinct()
            .ToList();
        var searchQuery = clauses.Count <= 1 ? clauses.FirstOrDefault() ?? "" : string.Join(" OR ", clauses.Select(c => $"({c})"));
        return Search("search", string.Join(" | ", queries), searchQuery, maxResults, cancellationToken);
    }

    /// <summary>Papers whose titles hold every distinctive word of <paramref name="title"/> (ti:), most relevant first.</summary>
    public Task<LiteratureResult> FindByTitleAsync(string title, int maxResults, CancellationToken cancellationToken = default)
    {
        var terms = Terms(title).Where(t => !TitleStopWords.Contains(t.ToLowerInvariant())).Take(MaxTitleTerms);
        return Search("title", title, string.Join(" AND ", terms.Select(t => "ti:" + t)), maxResults, cancellationToken);
    }

    /// <summary>The paper with this arXiv id (any version; "arXiv:2401.01234v2" and links are accepted), or an empty result.</summary>
    public Task<LiteratureResult> GetByIdAsync(string arxivId, CancellationToken cancellationToken = default)
    {
        // Validated, so a comma or an operator in the caller's text cannot ask for other papers.
        if (ReferenceIds.NormaliseArxivId(arxivId) is not { } id)
            return Task.FromResult(LiteratureResult.Fail(LiteratureSource.ArXiv, $"\"{arxivId}\" is not an arXiv id."));
        var url = new Uri($"{_options.ArxivBaseUrl}?id_list={Uri.EscapeDataString(id)}&start=0&max_results=1");
        return _fetcher.FetchAsync($"id|{id}", url, ArxivFeedParser.Parse, cancellationToken);
    }

    private Task<LiteratureResult> Search(string kind, string text, string searchQuery, int maxResults, CancellationToken cancellationToken)
    {
        if (searchQuery.Length == 0) return Task.FromResult(LiteratureResult.Fail(LiteratureSource.ArXiv, "The query holds no words to search for."));
        var count = Math.Clamp(maxResults, 1, 50);
        var url = new Uri($"{_options.ArxivBaseUrl}?search_query={Uri.EscapeDataString(searchQuery)}&start=0&max_results={count}&sortBy=relevance&sortOrder=descending");
        return _fetcher.FetchAsync($"{kind}|{count}|{MarkupText.NormaliseQuery(text)}", url, ArxivFeedParser.Parse, cancellationToken);
    }

    // A lone "-" or a leading one would read as NOT; the words keep only letters, digits, inner hyphens and dots.
    private static IEnumerable<string> Terms(string text) =>
        NotAWordCharacter().Split(text)
            .Select(t => t.Trim('-', '.'))
            .Where(t => t.Length > 0 && !Operators.Contains(t.ToLowerInvariant()));

    public void Dispose() => _pacer.Dispose();
}
