using CoScientist.Core.Models;
using Microsoft.Extensions.DependencyInjection;

namespace CoScientist.Tests.Fakes;

/// <summary>
/// The app's own catalogue plus one model served by a server that is not OpenRouter (llama.cpp, Ollama): listed without
/// prices or supported parameters there, so it is local and costed at $0.
/// </summary>
public sealed class CatalogWithLocalModel(IModelCatalog real, string id) : IModelCatalog
{
    private (ModelCatalogSnapshot Real, ModelCatalogSnapshot With)? _last;

    public async Task<ModelCatalogSnapshot> GetAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = await real.GetAsync(cancellationToken);
        if (_last is { } last && ReferenceEquals(last.Real, snapshot))
            return last.With; // the same snapshot while the real one is unchanged, as the model policy's cache expects
        var local = new ModelInfo(id, id + " (local)", 0m, 0m, 8192, null, new HashSet<string>()) { IsLocal = true };
        // Not `snapshot with { Models = ... }`: that would copy the snapshot's id index along with the old list.
        var with = new ModelCatalogSnapshot([.. snapshot.Models, local], snapshot.IsLive, snapshot.FetchedAt, snapshot.Error);
        _last = (snapshot, with);
        return with;
    }

    /// <summary>Wraps the catalogue the Core registration made.</summary>
    public static void Add(IServiceCollection services, string id)
    {
        var original = services.Last(d => d.ServiceType == typeof(IModelCatalog));
        services.Remove(original);
        services.AddSingleton<IModelCatalog>(sp => new CatalogWithLocalModel((IModelCatalog)original.ImplementationFactory!(sp), id));
    }
}
