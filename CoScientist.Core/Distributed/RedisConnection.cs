using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CoScientist.Core.Distributed;

/// <summary>
/// The one connection to Redis this instance shares among its users (a multiplexer is meant to be shared).
/// It never blocks start-up on Redis: while Redis is unreachable, operations throw and the callers fail closed
/// (no LLM call without a reservation); the multiplexer reconnects by itself when Redis is back.
/// Every key this app writes starts with <see cref="Prefix"/>.
/// </summary>
public sealed class RedisConnection : IDisposable
{
    public const string Prefix = "coscientist:";
    private readonly ILogger<RedisConnection> _logger;

    public RedisConnection(ScaleOut scaleOut, ILogger<RedisConnection> logger)
    {
        _logger = logger;
        var options = ConfigurationOptions.Parse(scaleOut.RedisConnectionString
            ?? throw new InvalidOperationException("ConnectionStrings:Redis is not set."));
        options.AbortOnConnectFail = false;   // start without Redis; reconnect in the background
        options.ConnectTimeout = Math.Min(options.ConnectTimeout, 3000);
        options.SyncTimeout = Math.Min(options.SyncTimeout, 3000);
        options.AsyncTimeout = Math.Min(options.AsyncTimeout, 3000);
        options.ConnectRetry = 1;
        // While Redis is unreachable a command fails at once rather than waiting in a backlog: callers fail closed.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        Multiplexer = ConnectionMultiplexer.Connect(options);
        Multiplexer.ConnectionFailed += (_, e) => _logger.LogError("Redis connection lost ({Failure}); calls that need it are refused until it is back", e.FailureType);
        Multiplexer.ConnectionRestored += (_, _) => _logger.LogWarning("Redis connection restored");
    }

    public IConnectionMultiplexer Multiplexer { get; }

    public IDatabase Database => Multiplexer.GetDatabase();

    public static RedisKey Key(string name) => Prefix + name;

    // Server errors that mean "cannot serve now" (a replica promoted, a script running long, memory full, ...):
    // they fail closed like an outage rather than surfacing as a bug.
    private static readonly string[] UnavailablePrefixes = ["LOADING", "READONLY", "MASTERDOWN", "BUSY", "OOM", "TRYAGAIN", "CLUSTERDOWN"];

    /// <summary>The failures that mean Redis cannot answer right now (down, restarting, unreachable, too slow, not serving).</summary>
    public static bool IsFailure(Exception ex) => ex is RedisConnectionException or RedisTimeoutException or RedisUnavailableException
        || (ex is RedisServerException server && UnavailablePrefixes.Any(p => server.Message.StartsWith(p, StringComparison.Ordinal)));

    /// <summary>Throws unless Redis answers a PING now (readiness).</summary>
    public async Task CheckAsync() => await Database.PingAsync();

    public void Dispose() => Multiplexer.Dispose();
}

/// <summary>Redis answered, but not in a way the app can use now (its keys vanished between steps): treated as an outage.</summary>
public sealed class RedisUnavailableException(string message) : Exception(message);
