using System.Collections.Concurrent;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CoScientist.Core.Distributed;

/// <summary>
/// Research shared among instances through Redis. The run lease is a key per research (<c>coscientist:research:{id}:run</c>,
/// value: the instance id) set only if absent, with an expiry renewed on a timer while the cycle runs, so a crashed
/// instance's lease lapses by itself. News and commands travel on a channel per research
/// (<c>coscientist:research:{id}</c>). StackExchange.Redis resubscribes every channel when it reconnects, a channel
/// subscribed while Redis was down included.
/// </summary>
public sealed class RedisResearchRelay : IResearchRelay, IDisposable
{
    // Renews if the lease is this instance's, or was lost (Redis restarted empty while the cycle ran); never takes another's.
    private const string RenewScript = """
        local holder = redis.call('GET', KEYS[1])
        if holder == ARGV[1] or not holder then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          return 1
        end
        return 0
        """;
    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private readonly RedisConnection _redis;
    private readonly TimeProvider _clock;
    private readonly ILogger<RedisResearchRelay> _logger;
    private readonly ConcurrentDictionary<string, ITimer> _leases = new();
    private long _seq;

    public RedisResearchRelay(RedisConnection redis, TimeProvider clock, ILogger<RedisResearchRelay> logger)
    {
        (_redis, _clock, _logger) = (redis, clock, logger);
        InstanceId = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        _redis.Multiplexer.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Subscription) Reconnected?.Invoke();
        };
    }

    public event Action? Reconnected;
    public event Action<string>? LeaseLost;

    public bool IsShared => true;
    public string InstanceId { get; }
    /// <summary>How long a lease outlives its instance; it is renewed three times as often.</summary>
    public TimeSpan LeaseTime { get; init; } = TimeSpan.FromSeconds(30);

    public static RedisKey LeaseKey(string researchId) => RedisConnection.Key($"research:{researchId}:run");
    public static RedisChannel Channel(string researchId) => RedisChannel.Literal(RedisConnection.Prefix + "research:" + researchId);

    public async Task<RunLease> ClaimRunAsync(string researchId)
    {
        try
        {
            var key = LeaseKey(researchId);
            if (!await _redis.Database.StringSetAsync(key, InstanceId, LeaseTime, When.NotExists)
                && await _redis.Database.StringGetAsync(key) != InstanceId)
                return RunLease.HeldElsewhere;
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            _logger.LogError("Research {Research}: the run lease could not be taken, Redis is unreachable: {Error}", researchId, ex.Message);
            return RunLease.Unavailable;
        }
        var renew = LeaseTime / 3;
        var timer = _clock.CreateTimer(_ => _ = RenewAsync(researchId), null, renew, renew);
        if (_leases.TryAdd(researchId, timer)) return RunLease.Claimed;
        await timer.DisposeAsync(); // already held and renewed here
        return RunLease.Claimed;
    }

    private async Task RenewAsync(string researchId)
    {
        try
        {
            var renewed = (int)await _redis.Database.ScriptEvaluateAsync(RenewScript, [LeaseKey(researchId)],
                [InstanceId, (long)LeaseTime.TotalMilliseconds]);
            // Taken while this one's lapsed (its renewals failed, or Redis restarted empty and another came first):
            // the other instance runs it now, and this one must stop, never run beside it.
            if (renewed == 0 && _leases.TryRemove(researchId, out var timer))
            {
                await timer.DisposeAsync();
                _logger.LogError("Research {Research}: another instance holds the run lease of the cycle running here", researchId);
                LeaseLost?.Invoke(researchId);
            }
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            _logger.LogWarning("Research {Research}: the run lease could not be renewed: {Error}", researchId, ex.Message);
        }
    }

    public async Task ReleaseRunAsync(string researchId)
    {
        if (!_leases.TryRemove(researchId, out var timer)) return;
        await timer.DisposeAsync();
        try
        {
            await _redis.Database.ScriptEvaluateAsync(ReleaseScript, [LeaseKey(researchId)], [InstanceId]);
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            _logger.LogWarning("Research {Research}: the run lease could not be given back; it lapses by itself: {Error}", researchId, ex.Message);
        }
    }

    public async Task<bool?> IsRunLeasedAsync(string researchId)
    {
        try
        {
            return await _redis.Database.KeyExistsAsync(LeaseKey(researchId));
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            _logger.LogWarning("Research {Research}: whether a cycle runs elsewhere cannot be checked: {Error}", researchId, ex.Message);
            return null;
        }
    }

    public async Task PublishAsync(string researchId, ResearchNews news)
    {
        var stamped = news with { From = InstanceId, Seq = Interlocked.Increment(ref _seq) };
        try
        {
            await _redis.Multiplexer.GetSubscriber().PublishAsync(Channel(researchId), ResearchJson.Write(stamped));
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            _logger.LogWarning("Research {Research}: other servers could not be told of a change: {Error}", researchId, ex.Message);
        }
    }

    public async Task<IAsyncDisposable> ListenAsync(string researchId, Func<ResearchNews, Task> onNews)
    {
        var subscriber = _redis.Multiplexer.GetSubscriber();
        var channel = Channel(researchId);
        Action<RedisChannel, RedisValue> handler = (_, message) => Deliver(researchId, message, onNews);
        try
        {
            await subscriber.SubscribeAsync(channel, handler);
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            // The handler stays registered: the multiplexer subscribes it when Redis is back.
            _logger.LogWarning("Research {Research}: cycles running elsewhere cannot be watched live until Redis is back: {Error}", researchId, ex.Message);
        }
        return new Listening(subscriber, channel, handler, _logger);
    }

    private void Deliver(string researchId, RedisValue message, Func<ResearchNews, Task> onNews) => _ = DeliverAsync(researchId, message, onNews);

    private async Task DeliverAsync(string researchId, RedisValue message, Func<ResearchNews, Task> onNews)
    {
        try
        {
            var news = ResearchJson.Read<ResearchNews>(message.ToString());
            if (news.From != InstanceId)
                await onNews(news);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Research {Research}: news from another server could not be applied", researchId);
        }
    }

    public void Dispose()
    {
        // Leases are left to lapse: an instance that stops with a cycle running has its cycle marked interrupted by the next.
        foreach (var timer in _leases.Values) timer.Dispose();
        _leases.Clear();
    }

    private sealed class Listening(ISubscriber subscriber, RedisChannel channel, Action<RedisChannel, RedisValue> handler, ILogger logger) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await subscriber.UnsubscribeAsync(channel, handler);
            }
            catch (Exception ex) when (RedisConnection.IsFailure(ex))
            {
                logger.LogDebug("Unsubscribing from {Channel} failed: {Error}", channel.ToString(), ex.Message);
            }
        }
    }
}
