using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Literature;

/// <summary>
/// Searches arXiv's API. arXiv asks for one request every 3 seconds on one connection; the client is a singleton,
/// so that holds for the whole server.
/// </summary>
public sealed partial class ArxivClient : IDisposable
{
    public static readonly TimeSpan Spacing = TimeSpan.FromSeconds(3);
    private readonly RequestPacer _pacer;
    private readonly LiteratureFetcher _fetcher;
    private readonly LiteratureOptions _options;

    public ArxivClient(HttpClient http, IOptions<LiteratureOptions> options, LiteratureCache cache, TimeProvider clock, ILogger<ArxivClient> logger)
    {
        _options = options.Value;
        _pacer = new RequestPacer(Spacing, maxConcurrent: 1, clock);
        _fetcher = new LiteratureFetcher(LiteratureSource.ArXiv, http, _pacer, cache, _options, clock, logger);
    }

    // Characters arXiv's query language gives meaning to; a user's words must not become operators.
    [GeneratedRegex(@"[^\p{L}\p{N}\-\.]+")]
    private static partial Regex NotAWordCharacter();

    private static readonly HashSet<string> Operators = ["and", "or", "andnot"];

    public Task<LiteratureResult> SearchAsync(string query, int maxResults, CancellationToken cancellationToken = default) =>
        SearchAnyAsync([query], maxResults, cancellationToken);

    /// <summary>
    /// Papers matching any of the queries, in one request: each query's words must all appear (all:), ranked by
    /// relevance. One request instead of one per query keeps a cycle to a single 3-second slot of arXiv's pace.
    /// </summary>
    public Task<LiteratureResult> SearchAnyAsync(IReadOnlyList<string> queries, int maxResults, CancellationToken cancellationToken = default)
    {
        var clauses = queries
            .Select(q => NotAWordCharacter().Split(q).Where(t => t.Length > 0 && !Operators.Contains(t.ToLowerInvariant())).Select(t => "all:" + t).ToList())
            .Where(terms => terms.Count > 0)
            .Select(terms => string.Join(" AND ", terms))
            .Distinct()
            .ToList();
        if (clauses.Count == 0) return Task.FromResult(LiteratureResult.Fail(LiteratureSource.ArXiv, "The query holds no words to search for."));
        var searchQuery = clauses.Count == 1 ? clauses[0] : string.Join(" OR ", clauses.Select(c => $"({c})"));
        var count = Math.Clamp(maxResults, 1, 50);
        var url = new Uri($"{_options.ArxivBaseUrl}?search_query={Uri.EscapeDataString(searchQuery)}&start=0&max_results={count}&sortBy=relevance&sortOrder=descending");
        return _fetcher.FetchAsync($"search|{count}|{string.Join(" | ", queries.Select(MarkupText.NormaliseQuery))}", url, ArxivFeedParser.Parse, cancellationToken);
    }

    public void Dispose() => _pacer.Dispose();
}
