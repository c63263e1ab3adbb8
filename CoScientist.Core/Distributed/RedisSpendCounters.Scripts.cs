namespace CoScientist.Core.Distributed;

/// <summary>The Lua scripts behind the shared spend counters: each runs atomically in Redis, so it is the only interleaving there is.</summary>
public sealed partial class RedisSpendCounters
{
    // KEYS: day hash, month hash, kill switch. ARGV: worst, day cap, month cap, day floor, month floor (nano-USD), hold field ('' = check only).
    // A cap refuses for good when spent (at least the provider's floor) plus this call would cross it; it makes the call
    // wait when only the holds of calls in flight are in the way.
    private const string HoldScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[2]) == 0 or redis.call('EXISTS', KEYS[3]) == 0 then
          return {'seed'}
        end
        local d = redis.call('HMGET', KEYS[1], 'spent', 'held', 'epoch')
        local m = redis.call('HMGET', KEYS[2], 'spent', 'held', 'epoch')
        local ds, dh, ms, mh = tonumber(d[1]), tonumber(d[2]), tonumber(m[1]), tonumber(m[2])
        local paused = redis.call('GET', KEYS[3])
        local worst = tonumber(ARGV[1])
        local dayUsed = math.max(ds, tonumber(ARGV[4]))
        local monthUsed = math.max(ms, tonumber(ARGV[5]))
        local status = 'ok'
        if paused == 'true' then status = 'paused'
        elseif dayUsed + worst > tonumber(ARGV[2]) then status = 'day'
        elseif monthUsed + worst > tonumber(ARGV[3]) then status = 'month'
        elseif dayUsed + dh + worst > tonumber(ARGV[2]) or monthUsed + mh + worst > tonumber(ARGV[3]) then status = 'wait'
        elseif ARGV[6] ~= '' then
          redis.call('HSET', KEYS[1], ARGV[6], ARGV[1])
          redis.call('HSET', KEYS[2], ARGV[6], ARGV[1])
          dh = redis.call('HINCRBY', KEYS[1], 'held', ARGV[1])
          mh = redis.call('HINCRBY', KEYS[2], 'held', ARGV[1])
          status = 'held'
        end
        return {status, ds, dh, ms, mh, d[3], m[3], paused}
        """;

    // KEYS: day hash, month hash, kill switch. ARGV: day spent, month spent (nano-USD), epoch, day expiry, month expiry (unix s), paused.
    private const string SeedScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then
          redis.call('HSET', KEYS[1], 'spent', ARGV[1], 'held', 0, 'epoch', ARGV[3])
          redis.call('EXPIREAT', KEYS[1], ARGV[4])
        end
        if redis.call('EXISTS', KEYS[2]) == 0 then
          redis.call('HSET', KEYS[2], 'spent', ARGV[2], 'held', 0, 'epoch', ARGV[3])
          redis.call('EXPIREAT', KEYS[2], ARGV[5])
        end
        redis.call('SET', KEYS[3], ARGV[6], 'NX')
        return 1
        """;

    // KEYS: day hash, month hash. ARGV: hold field, actual, worst (nano-USD), channel. A missing period key does nothing:
    // the ledger row is already written, so the next seed reads it. A missing field adds only a cost above the worst
    // case, once: the 'released:' marker (written only then, to keep the hashes small) makes a replay do nothing.
    private const string ReleaseScript = """
        local above = tonumber(ARGV[2]) - tonumber(ARGV[3])
        for i = 1, 2 do
          if redis.call('EXISTS', KEYS[i]) == 1 then
            local held = redis.call('HGET', KEYS[i], ARGV[1])
            if held then
              redis.call('HDEL', KEYS[i], ARGV[1])
              redis.call('HINCRBY', KEYS[i], 'held', -tonumber(held))
              redis.call('HINCRBY', KEYS[i], 'spent', ARGV[2])
              if above > 0 then redis.call('HSET', KEYS[i], 'released:' .. ARGV[1], 1) end
            elseif above > 0 and redis.call('HSETNX', KEYS[i], 'released:' .. ARGV[1], 1) == 1 then
              redis.call('HINCRBY', KEYS[i], 'spent', above)
            end
          end
        end
        redis.call('PUBLISH', ARGV[4], '1')
        return 1
        """;

    // KEYS: day hash, month hash. ARGV: change (nano-USD, signed), day epoch, month epoch, channel, hold field. Counters
    // seeded after the hold (another epoch) may already count the confirmed cost, so they take only a rise. The
    // 'adjusted:' marker makes a replay (its first reply was lost) do nothing.
    private const string AdjustScript = """
        local change = tonumber(ARGV[1])
        for i = 1, 2 do
          if redis.call('EXISTS', KEYS[i]) == 1 and redis.call('HSETNX', KEYS[i], 'adjusted:' .. ARGV[5], 1) == 1 then
            if redis.call('HGET', KEYS[i], 'epoch') == ARGV[i + 1] or change > 0 then
              redis.call('HINCRBY', KEYS[i], 'spent', change)
            end
          end
        end
        redis.call('PUBLISH', ARGV[4], '1')
        return 1
        """;
}
