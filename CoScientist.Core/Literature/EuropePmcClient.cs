using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Literature;

/// <summary>Searches Europe PMC's REST API (no key needed); a modest 5 requests a second, server-wide.</summary>
public sealed class EuropePmcClient : IDisposable
{
    public static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(200);
    private readonly RequestPacer _pacer;
    private readonly LiteratureFetcher _fetcher;
    private readonly LiteratureOptions _options;

    public EuropePmcClient(HttpClient http, IOptions<LiteratureOptions> options, LiteratureCache cache, TimeProvider clock, ILogger<EuropePmcClient> logger)
    {
        _options = options.Value;
        _pacer = new RequestPacer(Spacing, maxConcurrent: 4, clock);
        _fetcher = new LiteratureFetcher(LiteratureSource.EuropePmc, http, _pacer, cache, _options, clock, logger);
    }

    public Task<LiteratureResult> SearchAsync(string query, int maxResults, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(query)) return Task.FromResult(LiteratureResult.Fail(LiteratureSource.EuropePmc, "The query is empty."));
        var count = Math.Clamp(maxResults, 1, 100);
        var url = new Uri($"{_options.EuropePmcBaseUrl.TrimEnd('/')}/search?query={Uri.EscapeDataString(MarkupText.CollapseWhitespace(query))}&format=json&resultType=core&pageSize={count}");
        return _fetcher.FetchAsync($"search|{count}|{MarkupText.NormaliseQuery(query)}", url, EuropePmcParser.Parse, cancellationToken);
    }

    public void Dispose() => _pacer.Dispose();
}
