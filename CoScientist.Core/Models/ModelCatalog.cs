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
/// broken OpenRouter is not asked again by every page view.
/// </summary>
public sealed class ModelCatalog(HttpClient http, IOptions<OpenRouterOptions> options, IMemoryCache cache,
    TimeProvider clock, ILogger<ModelCatalog> logger) : IModelCatalog
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    private static readonly TimeSpan FailureLifetime = TimeSpan.FromMinutes(1);
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
            var snapshot = await FetchAsync(cancellationToken);
            cache.Set(_key, snapshot, snapshot.IsLive ? Lifetime : FailureLifetime);
            return snapshot;
        }
        finally
        {
            _fetchGate.Release();
        }
    }

    private async Task<ModelCatalogSnapshot> FetchAsync(CancellationToken cancellationToken)
    {
        var url = new Uri(options.Value.BaseUri, "models");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            var json = await http.GetStringAsync(url, timeout.Token);
            var models = ModelCatalogParser.Parse(json);
            logger.LogInformation("Loaded {Count} models from OpenRouter", models.Count);
            return new ModelCatalogSnapshot(models, true, clock.GetUtcNow(), null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or FormatException or System.Text.Json.JsonException
                                       && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Could not load the model catalogue from OpenRouter: {Error}", ex.Message);
            return new ModelCatalogSnapshot([], false, clock.GetUtcNow(), "The model list could not be loaded from OpenRouter: " + ex.Message);
        }
    }
}
