using System.Globalization;
using CoScientist.Core.Distributed;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CoScientist.Core.Models;

/// <summary>
/// The catalogue shared in Redis: OpenRouter's raw answer under one key (prefixed by its fetch time, expiring with
/// the catalogue's lifetime), and a lock key so that instances starting together make one request, not one each.
/// </summary>
public sealed class RedisModelCatalogShare(RedisConnection redis, ILogger<RedisModelCatalogShare> logger) : IModelCatalogShare
{
    public static readonly RedisKey CatalogKey = RedisConnection.Key("models:catalog");
    public static readonly RedisKey FetchLockKey = RedisConnection.Key("models:catalog:fetching");
    private readonly string _owner = Guid.NewGuid().ToString("N");

    public Task<SharedCatalog?> ReadAsync(CancellationToken cancellationToken) => TryAsync(async db =>
    {
        var value = (string?)await db.StringGetAsync(CatalogKey).WaitAsync(cancellationToken);
        if (value is null) return null;
        var newline = value.IndexOf('\n');
        if (newline < 0 || !long.TryParse(value.AsSpan(0, newline), NumberStyles.None, CultureInfo.InvariantCulture, out var fetchedMs))
            return null;
        return new SharedCatalog(value[(newline + 1)..], DateTimeOffset.FromUnixTimeMilliseconds(fetchedMs));
    }, (SharedCatalog?)null);

    public Task<bool> TryClaimFetchAsync(TimeSpan lease) => TryAsync(db => db.LockTakeAsync(FetchLockKey, _owner, lease), whenUnreachable: true);

    public Task ReleaseFetchAsync() => TryAsync(db => db.LockReleaseAsync(FetchLockKey, _owner), whenUnreachable: false); // the lease runs out by itself

    public Task WriteAsync(SharedCatalog catalog, TimeSpan lifetime) => TryAsync(db =>
    {
        var value = catalog.FetchedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) + "\n" + catalog.Body;
        return db.StringSetAsync(CatalogKey, value, lifetime);
    }, whenUnreachable: false);

    // While disconnected, the multiplexer would queue a command until its timeout; the catalogue need not wait for that.
    private async Task<T> TryAsync<T>(Func<IDatabase, Task<T>> operation, T whenUnreachable)
    {
        if (!redis.Multiplexer.IsConnected)
        {
            logger.LogWarning("Redis is not connected; this instance asks OpenRouter for the model catalogue itself");
            return whenUnreachable;
        }
        try
        {
            return await operation(redis.Database);
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            logger.LogWarning("The shared model catalogue in Redis cannot be reached ({Failure}); this instance asks OpenRouter itself", ex.GetType().Name);
            return whenUnreachable;
        }
    }
}
