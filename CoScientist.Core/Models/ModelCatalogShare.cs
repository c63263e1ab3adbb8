namespace CoScientist.Core.Models;

/// <summary>OpenRouter's /models answer as one instance fetched it, for the others to read instead of asking again.</summary>
public sealed record SharedCatalog(string Body, DateTimeOffset FetchedAt);

/// <summary>
/// Where instances share the model catalogue (<see cref="RedisModelCatalogShare"/>), so one of them asks OpenRouter
/// per hour. Best effort by design: the catalogue is not money (the model policy and the caps apply whatever it says),
/// so while the share cannot be reached each method answers as if nobody else were there, and the instance fetches for itself.
/// </summary>
public interface IModelCatalogShare
{
    /// <summary>The catalogue another instance fetched, while it is fresh; null when there is none (or the share is unreachable).</summary>
    Task<SharedCatalog?> ReadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Claims the fetch for this instance for at most <paramref name="lease"/>; false while another instance holds it.
    /// True when the share is unreachable: then everyone fetches for themselves.
    /// </summary>
    Task<bool> TryClaimFetchAsync(TimeSpan lease);

    /// <summary>Gives the claim back, so a waiting instance need not wait for the lease to run out (after a failed fetch).</summary>
    Task ReleaseFetchAsync();

    /// <summary>Shares a successful fetch for <paramref name="lifetime"/>. Failures are never shared.</summary>
    Task WriteAsync(SharedCatalog catalog, TimeSpan lifetime);
}
