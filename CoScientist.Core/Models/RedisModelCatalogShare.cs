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

    public async Task<SharedCatalog?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var value = (string?)await redis.Database.StringGetAsync(CatalogKey).WaitAsync(cancellationToken);
            if (value is null) return null;
            var newline = value.IndexOf('\n');
            if (newline < 0 || !long.TryParse(value.AsSpan(0, newline), NumberStyles.None, CultureInfo.InvariantCulture, out var fetchedMs))
                return null;
            return new SharedCatalog(value[(newline + 1)..], DateTimeOffset.FromUnixTimeMilliseconds(fetchedMs));
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            Unreachable(ex);
            return null;
        }
    }

    public async Task<bool> TryClaimFetchAsync(TimeSpan lease)
    {
        try
        {
            return await redis.Database.LockTakeAsync(FetchLockKey, _owner, lease);
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            Unreachable(ex);
            return true;
        }
    }

    public async Task ReleaseFetchAsync()
    {
        try
        {
            await redis.Database.LockReleaseAsync(FetchLockKey, _owner);
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            Unreachable(ex); // the lease runs out by itself
        }
    }

    public async Task WriteAsync(SharedCatalog catalog, TimeSpan lifetime)
    {
        try
        {
            var value = catalog.FetchedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) + "\n" + catalog.Body;
            await redis.Database.StringSetAsync(CatalogKey, value, lifetime);
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            Unreachable(ex);
        }
    }

    private void Unreachable(Exception ex) =>
        logger.LogWarning("The shared model catalogue in Redis cannot be reached ({Failure}); this instance asks OpenRouter itself", ex.GetType().Name);
}
