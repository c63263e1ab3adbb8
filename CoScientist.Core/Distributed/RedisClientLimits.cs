using CoScientist.Core.Storage;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CoScientist.Core.Distributed;

/// <summary>What one claim of a cycle found: granted, or which limit refused it, with the counts behind it.</summary>
public sealed record CycleClaim(CycleClaimStatus Status, long Running, IReadOnlyList<DateTimeOffset> ByIp, IReadOnlyList<DateTimeOffset> ByBrowser);

public enum CycleClaimStatus { Granted, ServerBusy, HourlyLimit }

/// <summary>
/// The per-client hourly limit and the server-wide cycle slots in Redis, shared by every instance. Starts live in a
/// sorted set per IP hash and per browser hash (score: the start's time; a marker member says the set was seeded from
/// the ledger, as an empty set does not exist in Redis). Running cycles are leases in one sorted set, scored by when
/// they expire: renewed while their cycle runs, so a crashed instance's slots free themselves. One Lua script checks
/// and claims both, so two instances cannot both take the last slot.
/// </summary>
public sealed class RedisClientLimits(RedisConnection redis, SpendLedger ledger, TimeProvider clock, ILogger<RedisClientLimits> logger)
{
    /// <summary>How long a slot outlives its instance's last renewal; renewed every third of it.</summary>
    public static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private static readonly RedisKey RunningKey = RedisConnection.Key("cycles:running");

    private static RedisKey IpKey(string hash) => RedisConnection.Key("starts:ip:" + hash);
    private static RedisKey BrowserKey(string hash) => RedisConnection.Key("starts:browser:" + hash);

    // KEYS: running leases, IP starts, browser starts. ARGV: now, window start, max running, hourly limit (-1: none),
    // lease id, lease expiry (ms), start id, starts' time to live (s).
    private const string ClaimScript = """
        local now = tonumber(ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        local running = redis.call('ZCARD', KEYS[1])
        if running >= tonumber(ARGV[3]) then return {'busy', running} end
        local limit = tonumber(ARGV[4])
        if limit >= 0 then
          if redis.call('EXISTS', KEYS[2]) == 0 or redis.call('EXISTS', KEYS[3]) == 0 then return {'seed', running} end
          redis.call('ZREMRANGEBYSCORE', KEYS[2], 1, ARGV[2])
          redis.call('ZREMRANGEBYSCORE', KEYS[3], 1, ARGV[2])
          local ip = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[2], '+inf', 'WITHSCORES')
          local browser = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[2], '+inf', 'WITHSCORES')
          if #ip / 2 >= limit or #browser / 2 >= limit then return {'limit', running, ip, browser} end
          redis.call('ZADD', KEYS[2], now, ARGV[7])
          redis.call('ZADD', KEYS[3], now, ARGV[7])
          redis.call('EXPIRE', KEYS[2], ARGV[8])
          redis.call('EXPIRE', KEYS[3], ARGV[8])
        end
        redis.call('ZADD', KEYS[1], ARGV[6], ARGV[5])
        return {'ok', running + 1}
        """;

    // KEYS: one start set. ARGV: time to live (s), then score and member of each start the ledger knows.
    private const string SeedScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('ZADD', KEYS[1], 0, 'seeded')
        for i = 2, #ARGV, 2 do redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1]) end
        redis.call('EXPIRE', KEYS[1], ARGV[1])
        return 1
        """;

    // KEYS: IP starts, browser starts. The browser's latest start (never the marker) leaves both sets.
    private const string ReturnScript = """
        local latest = redis.call('ZREVRANGEBYSCORE', KEYS[2], '+inf', 1, 'LIMIT', 0, 1)
        if #latest == 0 then return 0 end
        redis.call('ZREM', KEYS[1], latest[1])
        redis.call('ZREM', KEYS[2], latest[1])
        return 1
        """;

    /// <summary>Claims a slot, and for the shared key one of the client's hourly starts, in one step.</summary>
    /// <param name="hourlyLimit">Null for a visitor's own key: only the server-wide slots apply.</param>
    public CycleClaim TryClaim(string ipHash, string browserHash, int maxRunning, int? hourlyLimit, string leaseId)
    {
        var db = redis.Database;
        var now = clock.GetUtcNow();
        var windowStart = now - Window;
        RedisKey[] keys = [RunningKey, IpKey(ipHash), BrowserKey(browserHash)];
        RedisValue[] args = [now.ToUnixTimeMilliseconds(), windowStart.ToUnixTimeMilliseconds(), maxRunning, hourlyLimit ?? -1,
            leaseId, (now + LeaseTime).ToUnixTimeMilliseconds(), Guid.NewGuid().ToString("N"), (long)(Window + TimeSpan.FromHours(1)).TotalSeconds];
        for (var attempt = 0; ; attempt++)
        {
            var r = (RedisResult[])db.ScriptEvaluate(ClaimScript, keys, args)!;
            var running = (long)r[1];
            switch ((string?)r[0])
            {
                case "ok": return new CycleClaim(CycleClaimStatus.Granted, running, [], []);
                case "busy": return new CycleClaim(CycleClaimStatus.ServerBusy, running, [], []);
                case "limit": return new CycleClaim(CycleClaimStatus.HourlyLimit, running, Times((RedisResult[])r[2]!), Times((RedisResult[])r[3]!));
                case "seed" when attempt < 3:
                    Seed(db, ipHash, browserHash, windowStart);
                    break;
                default: throw new InvalidOperationException("The start sets could not be seeded.");
            }
        }
    }

    /// <summary>Gives the client's latest start back (its cycle produced nothing because OpenRouter was down).</summary>
    public void ReturnStart(string ipHash, string browserHash) =>
        redis.Database.ScriptEvaluate(ReturnScript, [IpKey(ipHash), BrowserKey(browserHash)]);

    /// <summary>Keeps a running cycle's slot from expiring.</summary>
    public void Renew(string leaseId)
    {
        try
        {
            // Only an existing lease: a renewal already running when its cycle ended must not bring the slot back.
            redis.Database.SortedSetAdd(RunningKey, leaseId, (clock.GetUtcNow() + LeaseTime).ToUnixTimeMilliseconds(), SortedSetWhen.Exists);
        }
        catch (ObjectDisposedException)
        {
            // The app is shutting down (the connection is gone); the lease expires by itself.
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            logger.LogWarning("A running cycle's slot could not be renewed in Redis ({Error}); it is tried again", ex.Message);
        }
    }

    public void Release(string leaseId)
    {
        try
        {
            redis.Database.SortedSetRemove(RunningKey, leaseId);
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex) || ex is ObjectDisposedException)
        {
            logger.LogWarning("A finished cycle's slot could not be freed in Redis ({Error}); it expires by itself", ex.Message);
        }
    }

    /// <summary>Cycles running on all instances (leases not yet expired).</summary>
    public long Running() => redis.Database.SortedSetLength(RunningKey, clock.GetUtcNow().ToUnixTimeMilliseconds(), double.PositiveInfinity, Exclude.Start);

    private void Seed(IDatabase db, string ipHash, string browserHash, DateTimeOffset windowStart)
    {
        var (byIp, byBrowser) = ledger.ClientStartsAfter(ipHash, browserHash, windowStart);
        var ttl = (long)(Window + TimeSpan.FromHours(1)).TotalSeconds;
        foreach (var (key, starts) in new[] { (IpKey(ipHash), byIp), (BrowserKey(browserHash), byBrowser) })
        {
            // The same start has the same member in both sets, so giving one back takes it from both.
            var values = new List<RedisValue> { ttl };
            foreach (var group in starts.GroupBy(s => s.ToUnixTimeMilliseconds()))
                values.AddRange(group.SelectMany((_, i) => new RedisValue[] { group.Key, $"ledger:{group.Key}:{i}" }));
            db.ScriptEvaluate(SeedScript, [key], [.. values]);
        }
    }

    private static IReadOnlyList<DateTimeOffset> Times(RedisResult[] withScores) =>
        Enumerable.Range(0, withScores.Length / 2).Select(i => DateTimeOffset.FromUnixTimeMilliseconds((long)(double)withScores[2 * i + 1])).ToList();
}
