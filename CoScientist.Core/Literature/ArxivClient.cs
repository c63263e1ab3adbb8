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

    public Task<LiteratureResult> SearchAsync(string query, int maxResults, CancellationToken cancellationToken = default)
    {
        // Every word must appear somewhere (all:), ranked by relevance: callers pass a few keywords, not a paragraph.
        var terms = NotAWordCharacter().Split(query)
            .Where(t => t.Length > 0 && !Operators.Contains(t.ToLowerInvariant()))
            .Select(t => "all:" + t);
        var searchQuery = string.Join(" AND ", terms);
        if (searchQuery.Length == 0) return Task.FromResult(LiteratureResult.Fail(LiteratureSource.ArXiv, "The query holds no words to search for."));
        var count = Math.Clamp(maxResults, 1, 50);
        var url = new Uri($"{_options.ArxivBaseUrl}?search_query={Uri.EscapeDataString(searchQuery)}&start=0&max_results={count}&sortBy=relevance&sortOrder=descending");
        return _fetcher.FetchAsync($"search|{count}|{MarkupText.NormaliseQuery(query)}", url, ArxivFeedParser.Parse, cancellationToken);
    }

    public void Dispose() => _pacer.Dispose();
}
