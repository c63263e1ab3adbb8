using CoScientist.Core.Distributed;
using StackExchange.Redis;

namespace CoScientist.Core.Literature;

/// <summary>
/// The sources' pace shared by every instance: each source's next free start (Unix milliseconds on the callers'
/// clocks, which are assumed to agree) is one Redis key, moved only by the scripts below, so two instances can never
/// take the same slot. Keys expire a minute after their time has passed; an absent key means "free now".
/// </summary>
public sealed class RedisPaceSchedule(RedisConnection redis) : IPaceSchedule
{
    private const long KeepAfterMs = 60_000;

    // KEYS[1] next free start; ARGV[1] now, ARGV[2] interval, ARGV[3] how long the key outlives its time (ms).
    private const string TakeSlotScript = """
        local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
        local now = tonumber(ARGV[1])
        local start = math.max(now, stored)
        local after = start + tonumber(ARGV[2])
        redis.call('SET', KEYS[1], string.format('%.0f', after), 'PX', string.format('%.0f', after - now + tonumber(ARGV[3])))
        return string.format('%.0f', start)
        """;

    // KEYS[1] next free start; ARGV[1] now, ARGV[2] until, ARGV[3] as above. Only ever raises the stored time.
    private const string PostponeScript = """
        local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
        local untilMs = tonumber(ARGV[2])
        if untilMs > stored then
          redis.call('SET', KEYS[1], string.format('%.0f', untilMs), 'PX', string.format('%.0f', math.max(untilMs - tonumber(ARGV[1]), 0) + tonumber(ARGV[3])))
        end
        return 1
        """;

    public async Task<DateTimeOffset> TakeSlotAsync(string source, DateTimeOffset now, TimeSpan interval)
    {
        var result = await RunAsync(source, TakeSlotScript, now.ToUnixTimeMilliseconds(), (long)Math.Ceiling(interval.TotalMilliseconds));
        return DateTimeOffset.FromUnixTimeMilliseconds(long.Parse((string)result!, System.Globalization.CultureInfo.InvariantCulture));
    }

    public async Task PostponeAsync(string source, DateTimeOffset now, DateTimeOffset until) =>
        await RunAsync(source, PostponeScript, now.ToUnixTimeMilliseconds(), until.ToUnixTimeMilliseconds());

    private async Task<RedisResult> RunAsync(string source, string script, long first, long second)
    {
        // While disconnected, the multiplexer would queue the script until its timeout; the answer is known now.
        if (!redis.Multiplexer.IsConnected) throw new PaceUnavailableException(Unreachable, null);
        try
        {
            return await redis.Database.ScriptEvaluateAsync(script, [Key(source)], [first, second, KeepAfterMs]);
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            throw new PaceUnavailableException(Unreachable, ex);
        }
    }

    private const string Unreachable = "the shared rate limit in Redis cannot be reached";

    public static RedisKey Key(string source) => RedisConnection.Key("literature:next-start:" + source);
}
