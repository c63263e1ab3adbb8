using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using CoScientist.Core.Llm;

namespace CoScientist.Core.Models;

/// <summary>The catalogue as last fetched. <see cref="IsLive"/> is false when OpenRouter could not be reached.</summary>
public sealed record ModelCatalogSnapshot(IReadOnlyList<ModelInfo> Models, bool IsLive, DateTimeOffset FetchedAt, string? Error)
{
    private readonly Dictionary<string, ModelInfo> _byId = Models.GroupBy(m => m.Id).ToDictionary(g => g.Key, g => g.First());

    public ModelInfo? Find(string id) => _byId.GetValueOrDefault(id);
}

public interface IModelCatalog
{
    Task<ModelCatalogSnapshot> GetAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// OpenRouter's GET /models, cached for an hour. A failed fetch is cached for a minute so a
/// broken OpenRouter is not asked again by every page view. With a <see cref="IModelCatalogShare"/> (Redis), one
/// instance fetches and shares the answer for the same hour, and the others read it instead of asking OpenRouter;
/// a failure stays with the instance that saw it.
/// </summary>
public sealed class ModelCatalog(HttpClient http, IOptions<OpenRouterOptions> options, IMemoryCache cache,
    TimeProvider clock, ILogger<ModelCatalog> logger, IModelCatalogShare? share = null) : IModelCatalog
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    private static readonly TimeSpan FailureLifetime = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(20);
    /// <summary>How long one instance may hold the shared fetch: past its request's timeout, so a crashed holder frees it.</summary>
    private static readonly TimeSpan FetchLease = RequestTimeout + TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SharePoll = TimeSpan.FromMilliseconds(250);
    private readonly SemaphoreSlim _fetchGate = new(1, 1);
    private readonly object _key = new();

    public async Task<ModelCatalogSnapshot> GetAsync(CancellationToken cancellationToken = default)
    {
        if (cache.TryGetValue(_key, out ModelCatalogSnapshot? cached) && cached is not null)
            return cached;
        await _fetchGate.WaitAsync(cancellationToken);
        try
        {
            if (cache.TryGetValue(_key, out cached) && cached is not null)
                return cached;
            var snapshot = share is null ? (await FetchAsync(cancellationToken)).Snapshot : await GetSharedAsync(share, cancellationToken);
            cache.Set(_key, snapshot, snapshot.IsLive ? Remaining(snapshot) : FailureLifetime);
            return snapshot;
        }
        finally
        {
            _fetchGate.Release();
        }
    }

    // A catalogue read from the share expires when the fetching instance's copy does, not an hour after it was read.
    private TimeSpan Remaining(ModelCatalogSnapshot snapshot)
    {
        var left = snapshot.FetchedAt + Lifetime - clock.GetUtcNow();
        return left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1);
    }

    /// <summary>The shared catalogue if there is one; else this instance fetches and shares it, unless another already is.</summary>
    private async Task<ModelCatalogSnapshot> GetSharedAsync(IModelCatalogShare share, CancellationToken cancellationToken)
    {
        var giveUpAt = clock.GetUtcNow() + FetchLease;
        while (true)
        {
            if (await ReadSharedAsync(share, cancellationToken) is { } shared) return shared;
            if (await share.TryClaimFetchAsync(FetchLease)) break;
            if (clock.GetUtcNow() >= giveUpAt)
            {
                logger.LogWarning("Another instance has held the model catalogue fetch for {Seconds} s; this one asks OpenRouter itself", FetchLease.TotalSeconds);
                return (await FetchAsync(cancellationToken)).Snapshot;
            }
            await Task.Delay(SharePoll, clock, cancellationToken);
        }
        try
        {
            // Another instance may have shared it between the read and the claim.
            if (await ReadSharedAsync(share, cancellationToken) is { } shared) return shared;
            var (snapshot, body) = await FetchAsync(cancellationToken);
            if (snapshot.IsLive && body is not null) await share.WriteAsync(new SharedCatalog(body, snapshot.FetchedAt), Lifetime);
            return snapshot;
        }
        finally
        {
            await share.ReleaseFetchAsync();
        }
    }

    private async Task<ModelCatalogSnapshot?> ReadSharedAsync(IModelCatalogShare share, CancellationToken cancellationToken)
    {
        if (await share.ReadAsync(cancellationToken) is not { } shared) return null;
        try
        {
            var models = ModelCatalogParser.Parse(shared.Body);
            logger.LogInformation("Loaded {Count} models from the shared catalogue, fetched at {FetchedAt:u}", models.Count, shared.FetchedAt);
            return new ModelCatalogSnapshot(models, true, shared.FetchedAt, null);
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException)
        {
            logger.LogWarning("The shared model catalogue could not be read ({Error}); fetching it again", ex.Message);
            return null;
        }
    }

    private async Task<(ModelCatalogSnapshot Snapshot, string? Body)> FetchAsync(CancellationToken cancellationToken)
    {
        var url = new Uri(options.Value.BaseUri, "models");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(RequestTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            // OpenRouter's list is public, but a local server started with a key (vLLM's --api-key) guards /models too.
            if (options.Value.HasOperatorKey)
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", options.Value.ApiKey);
            using var response = await http.SendAsync(request, timeout.Token);
            response.EnsureSuccessStatusCode();
            var json = await response.Content.ReadAsStringAsync(timeout.Token);
            var models = ModelCatalogParser.Parse(json);
            logger.LogInformation("Loaded {Count} models from OpenRouter", models.Count);
            return (new ModelCatalogSnapshot(models, true, clock.GetUtcNow(), null), json);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or FormatException or System.Text.Json.JsonException
                                       && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Could not load the model catalogue from OpenRouter: {Error}", ex.Message);
            return (new ModelCatalogSnapshot([], false, clock.GetUtcNow(), "The model list could not be loaded from OpenRouter: " + ex.Message), null);
        }
    }
}
