using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Literature;

/// <summary>Searches Europe PMC's REST API (no key needed); a modest 5 requests a second, server-wide.</summary>
public sealed partial class EuropePmcClient : IDisposable
{
    public static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(200);
    private readonly RequestPacer _pacer;
    private readonly LiteratureFetcher _fetcher;
    private readonly LiteratureOptions _options;

    public EuropePmcClient(HttpClient http, IOptions<LiteratureOptions> options, LiteratureCache cache, TimeProvider clock, ILogger<EuropePmcClient> logger,
        LiteratureStats? stats = null, IPaceSchedule? pace = null)
    {
        _options = options.Value;
        _pacer = new RequestPacer(Spacing, maxConcurrent: 4, clock, "europepmc", pace);
        _fetcher = new LiteratureFetcher(LiteratureSource.EuropePmc, http, _pacer, cache, _options, clock, logger, stats);
    }

    public Task<LiteratureResult> SearchAsync(string query, int maxResults, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(query)) return Task.FromResult(LiteratureResult.Fail(LiteratureSource.EuropePmc, "The query is empty."));
        return Search(MarkupText.CollapseWhitespace(query), MarkupText.NormaliseQuery(query), maxResults, cancellationToken);
    }

    /// <summary>Papers matching any of the queries (each query's words all present), in one request.</summary>
    public Task<LiteratureResult> SearchAnyAsync(IReadOnlyList<string> queries, int maxResults, CancellationToken cancellationToken = default)
    {
        var clauses = queries
            .Select(q => string.Join(" ", NotAWordCharacter().Split(q).Where(t => t.Length > 0 && !Operators.Contains(t.ToUpperInvariant()))))
            .Where(c => c.Length > 0)
            .Distinct()
            .ToList();
        if (clauses.Count == 0) return Task.FromResult(LiteratureResult.Fail(LiteratureSource.EuropePmc, "The query is empty."));
        var query = clauses.Count == 1 ? clauses[0] : string.Join(" OR ", clauses.Select(c => $"({c})"));
        return Search(query, string.Join(" | ", queries.Select(MarkupText.NormaliseQuery)), maxResults, cancellationToken);
    }

    private Task<LiteratureResult> Search(string query, string cacheKey, int maxResults, CancellationToken cancellationToken)
    {
        var count = Math.Clamp(maxResults, 1, 100);
        var url = new Uri($"{_options.EuropePmcBaseUrl.TrimEnd('/')}/search?query={Uri.EscapeDataString(query)}&format=json&resultType=core&pageSize={count}");
        return _fetcher.FetchAsync($"search|{count}|{cacheKey}", url, EuropePmcParser.Parse, cancellationToken);
    }

    // Europe PMC's query language gives meaning to quotes, colons and brackets; a query's words must stay words.
    [System.Text.RegularExpressions.GeneratedRegex(@"[^\p{L}\p{N}\-\.]+")]
    private static partial System.Text.RegularExpressions.Regex NotAWordCharacter();

    private static readonly HashSet<string> Operators = ["AND", "OR", "NOT"];

    public void Dispose() => _pacer.Dispose();
}
