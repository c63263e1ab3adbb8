using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Literature;

/// <summary>
/// Searches Crossref's REST API. With a contact email, requests join Crossref's polite pool (mailto and User-Agent);
/// about 3 list requests a second are allowed there, and single works share that pace here for simplicity.
/// </summary>
public sealed class CrossrefClient : IDisposable
{
    public static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(334);
    private readonly RequestPacer _pacer;
    private readonly LiteratureFetcher _fetcher;
    private readonly LiteratureOptions _options;

    public CrossrefClient(HttpClient http, IOptions<LiteratureOptions> options, LiteratureCache cache, TimeProvider clock, ILogger<CrossrefClient> logger,
        LiteratureStats? stats = null, IPaceSchedule? pace = null)
    {
        _options = options.Value;
        _pacer = new RequestPacer(Spacing, maxConcurrent: 3, clock, "crossref", pace);
        _fetcher = new LiteratureFetcher(LiteratureSource.Crossref, http, _pacer, cache, _options, clock, logger, stats);
    }

    public Task<LiteratureResult> SearchAsync(string query, int maxResults, CancellationToken cancellationToken = default) =>
        List("query", query, maxResults, cancellationToken);

    /// <summary>The works that best match a free-text reference ("Smith J. et al. Nature 2019 …"), via query.bibliographic.</summary>
    public Task<LiteratureResult> FindAsync(string referenceText, int maxResults = 1, CancellationToken cancellationToken = default) =>
        List("query.bibliographic", referenceText, maxResults, cancellationToken);

    /// <summary>The work with this DOI, or an empty result when Crossref has none (a made-up DOI, or one registered elsewhere).</summary>
    public Task<LiteratureResult> GetByDoiAsync(string doi, CancellationToken cancellationToken = default)
    {
        if (MarkupText.NormaliseDoi(doi) is not { } bare) return Task.FromResult(LiteratureResult.Fail(LiteratureSource.Crossref, "The DOI is empty."));
        // A DOI's slashes stay path separators, as Crossref documents /works/10.1371/journal.pone.0033693.
        var path = Uri.EscapeDataString(bare).Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        return _fetcher.FetchAsync($"work|{bare}", new Uri($"{BaseUrl}/works/{path}{Mailto("?")}"), CrossrefParser.ParseWork, cancellationToken,
            missingIsEmpty: true);
    }

    private Task<LiteratureResult> List(string parameter, string text, int maxResults, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(text)) return Task.FromResult(LiteratureResult.Fail(LiteratureSource.Crossref, "The query is empty."));
        var count = Math.Clamp(maxResults, 1, 100);
        var url = new Uri($"{BaseUrl}/works?{parameter}={Uri.EscapeDataString(MarkupText.CollapseWhitespace(text))}&rows={count}{Mailto("&")}");
        return _fetcher.FetchAsync($"{parameter}|{count}|{MarkupText.NormaliseQuery(text)}", url, CrossrefParser.Parse, cancellationToken);
    }

    private string BaseUrl => _options.CrossrefBaseUrl.TrimEnd('/');

    private string Mailto(string separator) =>
        string.IsNullOrWhiteSpace(_options.ContactEmail) ? "" : $"{separator}mailto={Uri.EscapeDataString(_options.ContactEmail)}";

    public void Dispose() => _pacer.Dispose();
}
