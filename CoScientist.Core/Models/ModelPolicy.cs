using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Models;

public sealed record OfferedModel(ModelInfo Info, ModelTier Tier)
{
    public string Id => Info.Id;
}

/// <summary>The models one caller may use right now, and what the page should say about them.</summary>
public sealed record ModelOffer(
    IReadOnlyList<OfferedModel> Models,
    string DefaultModel,
    bool LockModel,
    string? Notice,
    string? CatalogProblem,
    IReadOnlyList<string> DroppedAllowListed)
{
    /// <summary>What the page says about local ("not metered") models in production: refused, or offered without the cap's protection.</summary>
    public string? LocalNotice { get; init; }
    /// <summary>Allow-listed local models refused because <c>cost_control:allow_unpriced_models</c> is off.</summary>
    public IReadOnlyList<string> RefusedLocal { get; init; } = [];

    public OfferedModel? Find(string? id) => Models.FirstOrDefault(m => m.Id == id);

    public bool Allows(string? id) => Find(id) is not null && (!LockModel || id == DefaultModel);
}

/// <summary>
/// Which models the operator's key may be spent on. Production: the allow-list (plus ":free"
/// models if allowed) as far as the catalogue still has it, within the price ceiling. Development:
/// everything. Under a spend cap a model whose price is unknown (routers priced "-1") is never
/// offered, since it cannot be budgeted. A local model (a server that bills nothing) is costed at $0:
/// offered in development, and in production only when allow-listed with allow_unpriced_models set.
/// A visitor's own key gets every model.
/// </summary>
public sealed class ModelPolicy(IModelCatalog catalog, IOptions<CostControlOptions> costOptions,
    IOptions<Configuration.ResearchOptions> researchOptions, DeploymentEnvironment environment, ILogger<ModelPolicy> logger)
{
    private readonly HashSet<string> _warned = [];
    private sealed record Cached(ModelCatalogSnapshot Snapshot, ModelOffer Operator, ModelOffer Visitor);
    private volatile Cached? _cached; // a reference swap, so parallel calls never see half an update

    /// <summary>Every LLM call asks; the answer only changes when the catalogue does, so it is kept per snapshot.</summary>
    public async Task<ModelOffer> OfferAsync(KeyKind keyKind, CancellationToken cancellationToken = default)
    {
        var snapshot = await catalog.GetAsync(cancellationToken);
        var cached = _cached;
        if (cached is null || !ReferenceEquals(cached.Snapshot, snapshot))
            _cached = cached = new Cached(snapshot, Compute(snapshot, KeyKind.Operator), Compute(snapshot, KeyKind.Visitor));
        return keyKind == KeyKind.Visitor ? cached.Visitor : cached.Operator;
    }

    private ModelOffer Compute(ModelCatalogSnapshot snapshot, KeyKind keyKind)
    {
        var options = costOptions.Value;
        var preferred = string.IsNullOrWhiteSpace(options.DefaultModel) ? researchOptions.Value.LlmModel : options.DefaultModel!;
        string[] fallbacks = [researchOptions.Value.LlmModel, .. options.AllowedModelsProduction];

        if (keyKind == KeyKind.Visitor)
        {
            var all = snapshot.IsLive ? snapshot.Models.Select(Offer).ToList() : [Offer(Fallback(preferred))];
            return new ModelOffer(Sort(all), Pick(preferred, all, fallbacks), false, "Your own key: every model is available.", snapshot.Error, []);
        }

        if (!snapshot.IsLive)
        {
            // Without prices nothing can be budgeted exactly; a conservative assumed price keeps the caps safe.
            var fallback = environment.IsProduction
                ? options.AllowedModelsProduction.Select(id => Offer(Fallback(id))).ToList()
                : [Offer(Fallback(preferred))];
            var why = environment.IsProduction ? "the allowed models are offered at an assumed price" : "only the default model is offered";
            return new ModelOffer(fallback, Pick(preferred, fallback, fallbacks), options.LockModel, Notice(),
                $"{snapshot.Error} Until it loads, {why}.", []);
        }

        var priced = snapshot.Models.Where(m => m.IsPriceKnown).ToList();
        List<string> dropped = [], refusedLocal = [];
        IEnumerable<ModelInfo> candidates = priced;
        if (environment.IsProduction)
        {
            var allowed = options.AllowedModelsProduction.ToHashSet(StringComparer.Ordinal);
            dropped = options.AllowedModelsProduction.Where(id => snapshot.Find(id) is not { IsPriceKnown: true }).ToList();
            WarnOnce(dropped, null);
            if (!options.AllowUnpricedModels)
            {
                refusedLocal = options.AllowedModelsProduction.Where(id => snapshot.Find(id) is { IsLocal: true }).Distinct().ToList();
                foreach (var id in refusedLocal)
                    WarnOnce([$"local:{id}"], $"Allow-listed model {id} is local (not metered) and is not offered: " +
                                               "set cost_control:allow_unpriced_models to true to offer it without the spending cap's protection");
            }
            // A local model needs both the operator's explicit listing and the flag; ":free" alone never admits one.
            candidates = priced.Where(m => m.IsLocal
                ? options.AllowUnpricedModels && allowed.Contains(m.Id)
                : allowed.Contains(m.Id) || (options.AllowFreeModels && m.IsFreeVariant));
            if (options.MaxPricePerMillionTokens is { } ceiling)
                candidates = candidates.Where(m => m.BlendedPricePerMillion <= (decimal)ceiling);
        }
        var offered = Sort(candidates.Select(Offer).ToList());
        IReadOnlyList<string> order = environment.IsProduction ? options.AllowedModelsProduction : fallbacks;
        return new ModelOffer(offered, Pick(preferred, offered, order), options.LockModel, Notice(snapshot), null, dropped)
        {
            LocalNotice = LocalNotice(offered, refusedLocal),
            RefusedLocal = refusedLocal,
        };
    }

    private string? LocalNotice(IReadOnlyList<OfferedModel> offered, IReadOnlyList<string> refused)
    {
        if (!environment.IsProduction)
            return null;
        if (refused.Count > 0)
            return $"Not offered on the shared key: {string.Join(", ", refused)} (local, not metered). The spending cap cannot protect what it " +
                   "cannot price, so the operator must also set cost_control.allow_unpriced_models to offer it.";
        var local = offered.Where(m => m.Info.IsLocal).Select(m => m.Id).ToList();
        return local.Count > 0
            ? $"{string.Join(", ", local)}: local, not metered. The spending cap cannot protect what it cannot price, so it does not protect " +
              (local.Count == 1 ? "this model." : "these models.")
            : null;
    }

    /// <summary>A model the caller's policy allows, whatever the browser sent; null when it is refused.</summary>
    public async Task<OfferedModel?> ResolveAsync(string? requested, KeyKind keyKind, CancellationToken cancellationToken = default)
    {
        var offer = await OfferAsync(keyKind, cancellationToken);
        var id = offer.LockModel && keyKind == KeyKind.Operator ? offer.DefaultModel : requested;
        return offer.Allows(id) ? offer.Find(id) : null;
    }

    private string? Notice(ModelCatalogSnapshot? snapshot = null) => environment.IsProduction
        ? $"Production ({environment.Reason}): models filtered for cost control."
        : snapshot?.Models.Any(m => m.IsLocal) == true
            ? $"Development ({environment.Reason}): all priced and local (not metered) models are offered."
            : $"Development ({environment.Reason}): all priced models are offered.";

    private ModelInfo Fallback(string id)
    {
        var perToken = (decimal)costOptions.Value.FallbackPricePerMillionTokens / 1_000_000m;
        return new ModelInfo(id, id + " (price assumed)", perToken, perToken, 0, null, new HashSet<string>())
        {
            WorstPromptPrice = perToken,
            WorstCompletionPrice = perToken,
        };
    }

    /// <summary>
    /// The preferred default if offered; else the first of <paramref name="order"/> that is (in production the
    /// allow-list, so the guide's vanished default gives way to the first allowed model still available).
    /// </summary>
    private string Pick(string preferred, IReadOnlyList<OfferedModel> offered, IReadOnlyList<string> order)
    {
        if (offered.Any(m => m.Id == preferred) || offered.Count == 0)
            return preferred;
        var replacement = order.FirstOrDefault(id => offered.Any(m => m.Id == id)) ?? offered[0].Id;
        WarnOnce([$"default:{preferred}"], $"The default model {preferred} is not available; using {replacement}");
        return replacement;
    }

    private void WarnOnce(IReadOnlyList<string> keys, string? message)
    {
        lock (_warned)
            foreach (var key in keys.Where(_warned.Add))
            {
                if (message is not null)
                    logger.LogWarning("{Message}", message);
                else
                    logger.LogWarning("Allow-listed model {Model} is not in the OpenRouter catalogue (or has no price) and is not offered", key);
            }
    }

    private static OfferedModel Offer(ModelInfo info) => new(info, ModelTiers.Of(info));

    private static List<OfferedModel> Sort(List<OfferedModel> models) =>
        models.OrderBy(m => m.Tier).ThenBy(m => m.Info.BlendedPricePerMillion ?? decimal.MaxValue).ThenBy(m => m.Info.Name).ToList();
}
