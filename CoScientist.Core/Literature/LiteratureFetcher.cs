using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;

namespace CoScientist.Core.Literature;

/// <summary>
/// What the three clients share: the cache, one request per key however many callers ask at once, the source's
/// pacer, a timeout per attempt, and bounded retries of 429 and 503. It never throws: every failure becomes a
/// <see cref="LiteratureResult"/> carrying the reason. Only the caller's own cancellation ends its wait with an exception.
/// </summary>
internal sealed class LiteratureFetcher(
    LiteratureSource source, HttpClient http, RequestPacer pacer, LiteratureCache cache,
    LiteratureOptions options, TimeProvider clock, ILogger logger, LiteratureStats? stats = null)
{
    private readonly LiteratureStats _stats = stats ?? new LiteratureStats();

    public const int MaxAttempts = 3;
    /// <summary>A source asking for a longer pause than this is treated as unavailable for now.</summary>
    public static readonly TimeSpan LongestRetryWait = TimeSpan.FromSeconds(60);
    private readonly ConcurrentDictionary<string, Lazy<Task<LiteratureResult>>> _inFlight = new();

    /// <param name="missingIsEmpty">
    /// For a lookup of one record (a DOI): 404 Not Found is the source's answer "no such work", an empty result, not a failure.
    /// </param>
    public async Task<LiteratureResult> FetchAsync(string cacheKey, Uri url, Func<string, IReadOnlyList<Paper>> parse, CancellationToken cancellationToken,
        bool missingIsEmpty = false)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!options.Enabled) return LiteratureResult.Fail(source, "Literature search is turned off (literature:enabled).");
        _stats.Lookup(source);
        var key = $"{source}|{cacheKey}";
        // The shared request runs to its end even if the first caller leaves, so the others and the cache still get it.
        var shared = _inFlight.GetOrAdd(key, k => new Lazy<Task<LiteratureResult>>(() => LoadAsync(k, url, parse, missingIsEmpty)));
        return await shared.Value.WaitAsync(cancellationToken);
    }

    private async Task<LiteratureResult> LoadAsync(string key, Uri url, Func<string, IReadOnlyList<Paper>> parse, bool missingIsEmpty)
    {
        try
        {
            if (cache.TryGet(key) is { } cached)
            {
                _stats.CacheHit(source);
                return new LiteratureResult(source, cached, FromCache: true);
            }
            var (body, error) = await GetAsync(url, missingIsEmpty);
            if (error is not null) return Failed(error);
            IReadOnlyList<Paper> papers;
            try
            {
                papers = body is null ? [] : parse(body);
            }
            catch (LiteratureFormatException ex)
            {
                return Failed($"{Name} answered with something that is not a search result ({ex.Message}).");
            }
            cache.Put(key, papers);
            return new LiteratureResult(source, papers);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Literature search on {Source} failed unexpectedly", source);
            return Failed($"{Name} could not be searched ({ex.GetType().Name}: {ex.Message}).");
        }
        finally
        {
            _inFlight.TryRemove(key, out _);
        }
    }

    /// <summary>The answer's body, or the reason there is none; neither when the source said the record does not exist.</summary>
    private async Task<(string? Body, string? Error)> GetAsync(Uri url, bool missingIsEmpty)
    {
        var timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);
        string? lastError = null;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            DateTimeOffset pauseUntil;
            IDisposable turn;
            try
            {
                turn = await pacer.WaitTurnAsync(CancellationToken.None);
            }
            catch (PaceUnavailableException ex)
            {
                return (null, Unpaced(ex));
            }
            using (turn)
            using (var deadline = new CancellationTokenSource(timeout, clock))
            {
                try
                {
                    if (attempt > 1) _stats.Retry(source);
                    _stats.Request(source);
                    using var request = new HttpRequestMessage(HttpMethod.Get, url);
                    request.Headers.UserAgent.ParseAdd(options.UserAgent);
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
                    if (response.IsSuccessStatusCode) return (await response.Content.ReadAsStringAsync(deadline.Token), null);
                    if (missingIsEmpty && response.StatusCode == HttpStatusCode.NotFound) return (null, null);

                    lastError = $"{Name} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd();
                    if (response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)) return (null, lastError + ".");
                    var wait = RetryWait(response, attempt);
                    if (wait > LongestRetryWait) return (null, $"{lastError} and asked for a pause of {wait.TotalSeconds:0} s.");
                    pauseUntil = clock.GetUtcNow() + wait;
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested)
                {
                    // A source this slow is abandoned at once; trying again would only keep the caller waiting longer.
                    return (null, $"{Name} did not answer within {options.TimeoutSeconds} s.");
                }
                catch (HttpRequestException ex)
                {
                    lastError = $"{Name} could not be reached ({ex.Message})";
                    pauseUntil = clock.GetUtcNow() + Backoff(attempt);
                }
            }
            try
            {
                // Everyone waits, not just this caller: the source asked the server (or the site) to slow down.
                await pacer.BackOffUntilAsync(pauseUntil);
            }
            catch (PaceUnavailableException ex)
            {
                return (null, Unpaced(ex));
            }
            logger.LogWarning("Literature search on {Source}, attempt {Attempt} of {Max}: {Error}", source, attempt, MaxAttempts, lastError);
        }
        return (null, $"{lastError}, {MaxAttempts} times.");
    }

    private string Unpaced(PaceUnavailableException ex)
    {
        logger.LogWarning("Literature search on {Source} skipped: {Reason}", source, ex.Message);
        return $"{Name} is not being asked for now: {ex.Message}, and without it the source's rate limit could be exceeded.";
    }

    private TimeSpan RetryWait(HttpResponseMessage response, int attempt)
    {
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta) return delta;
        if (retryAfter?.Date is { } date) return date - clock.GetUtcNow() is var until && until > TimeSpan.Zero ? until : TimeSpan.Zero;
        return Backoff(attempt);
    }

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromSeconds(Math.Pow(2, attempt - 1));

    private LiteratureResult Failed(string error)
    {
        _stats.Failure(source);
        logger.LogWarning("Literature search on {Source} gave nothing: {Error}", source, error);
        return LiteratureResult.Fail(source, error);
    }

    private string Name => PaperText.SourceName(source);
}
