using System.Collections.Concurrent;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CoScientist.Core.Distributed;

/// <summary>The operator key's shared spend for one UTC day and month, in USD, and the kill switch, as Redis holds them now.</summary>
public sealed record SharedSpend(decimal DaySpent, decimal DayHeld, decimal MonthSpent, decimal MonthHeld, bool Paused);

public enum HoldStatus { Held, Wait, Paused, DayCap, MonthCap }

/// <summary>A hold's outcome; the epochs name the seeding of the day's and month's counters the hold went into.</summary>
public sealed record HoldResult(HoldStatus Status, SharedSpend Spend, string? DayEpoch, string? MonthEpoch);

/// <summary>
/// The spend caps' counters in Redis, shared by every instance: per UTC day and per month a hash with
/// <c>spent</c>, <c>held</c> (the worst cases of calls in flight), one field per hold (its worst case) and the
/// <c>epoch</c> of its seeding. Every change is one Lua script, so no interleaving of instances can overshoot
/// a cap. Amounts are whole nano-dollars (exact in Lua's doubles up to $9M). A missing counter (first use, a
/// new period, an emptied Redis) is seeded from the ledger, which counts open reservations at their worst case;
/// the ledger is always written first, so a seed can over-count a call in flight, never miss one.
/// </summary>
public sealed partial class RedisSpendCounters
{
    private const decimal Nano = 1_000_000_000m;
    private const string KillSwitchSetting = "kill_switch"; // the ledger's meta key, as the in-memory guard keeps it
    private static readonly RedisChannel SettledChannel = RedisChannel.Literal(RedisConnection.Prefix + "spend:settled");
    private readonly RedisConnection _redis;
    private readonly SpendLedger _ledger;
    private readonly ILogger<RedisSpendCounters> _logger;
    private readonly ConcurrentQueue<Action<IDatabase>> _pending = new();
    private readonly Lock _drainGate = new(); // one drainer at a time, so no change runs twice or is skipped
    private int _subscribed;

    public RedisSpendCounters(RedisConnection redis, SpendLedger ledger, ILogger<RedisSpendCounters> logger)
    {
        _redis = redis;
        _ledger = ledger;
        _logger = logger;
        Subscribe();
        _redis.Multiplexer.ConnectionRestored += (_, _) => Task.Run(DrainAfterReconnect);
    }

    /// <summary>Tells apart this instance's holds from other instances' (ledger ids repeat across separate ledgers).</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>Raised when any instance settles or reconciles a call: room may have appeared under a cap.</summary>
    public event Action? Settled;

    private static RedisKey DayKey(DateOnly day) => RedisConnection.Key($"spend:day:{day:yyyy-MM-dd}");
    private static RedisKey MonthKey(int month) => RedisConnection.Key($"spend:month:{(month - 1) / 12:0000}-{(month - 1) % 12 + 1:00}");
    private static readonly RedisKey KillKey = RedisConnection.Key("spend:kill-switch");

    public static long ToNano(decimal usd) => (long)Math.Ceiling(usd * Nano);
    private static decimal FromNano(RedisResult r) => (long)r / Nano;

    /// <summary>
    /// Holds <paramref name="worstUsd"/> under <paramref name="field"/> when spent (at least the floor), held and it fit
    /// both caps; with a null field only checks. Seeds missing counters from the ledger first.
    /// </summary>
    public async Task<HoldResult> TryHoldAsync(DateOnly day, int month, string? field, decimal worstUsd, decimal dayCap, decimal monthCap,
        decimal dayFloor, decimal monthFloor)
    {
        var db = _redis.Database;
        DrainPending(db);
        RedisKey[] keys = [DayKey(day), MonthKey(month), KillKey];
        RedisValue[] args = [ToNano(worstUsd), ToNano(dayCap), ToNano(monthCap), ToNano(dayFloor), ToNano(monthFloor), field ?? ""];
        for (var attempt = 0; ; attempt++)
        {
            var r = (RedisResult[])(await db.ScriptEvaluateAsync(HoldScript, keys, args))!;
            if ((string?)r[0] != "seed")
                return Parse(r);
            SeedOrGiveUp(db, day, month, attempt);
        }
    }

    /// <summary>The counters as they are (seeded if missing), for the admin page and the check before a cycle.</summary>
    public SharedSpend Read(DateOnly day, int month)
    {
        var db = _redis.Database;
        RedisKey[] keys = [DayKey(day), MonthKey(month), KillKey];
        RedisValue[] args = [0, long.MaxValue / 4, long.MaxValue / 4, 0, 0, ""];
        for (var attempt = 0; ; attempt++)
        {
            var r = (RedisResult[])db.ScriptEvaluate(HoldScript, keys, args)!;
            if ((string?)r[0] != "seed")
                return Parse(r).Spend;
            SeedOrGiveUp(db, day, month, attempt);
        }
    }

    // Counters that vanish again right after each seeding (Redis flushed or evicting as fast as we write) cannot be trusted.
    private void SeedOrGiveUp(IDatabase db, DateOnly day, int month, int attempt)
    {
        if (attempt >= 3)
            throw new RedisUnavailableException("The shared spend counters vanished again after each of three seedings.");
        Seed(db, day, month);
    }

    private static HoldResult Parse(RedisResult[] r)
    {
        var status = (string?)r[0] switch
        {
            "held" => HoldStatus.Held, "paused" => HoldStatus.Paused, "day" => HoldStatus.DayCap, "month" => HoldStatus.MonthCap,
            "ok" => HoldStatus.Held, _ => HoldStatus.Wait,
        };
        return new HoldResult(status, new SharedSpend(FromNano(r[1]), FromNano(r[2]), FromNano(r[3]), FromNano(r[4]), (string?)r[7] == "true"),
            (string?)r[5], (string?)r[6]);
    }

    /// <summary>Creates whichever counters are missing from the ledger's figures, set-if-absent (another instance may have just done it).</summary>
    private void Seed(IDatabase db, DateOnly day, int month)
    {
        var dayStart = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var monthStart = new DateTimeOffset((month - 1) / 12, (month - 1) % 12 + 1, 1, 0, 0, 0, TimeSpan.Zero);
        var daySpent = _ledger.OperatorSpendSince(dayStart);
        var monthSpent = _ledger.OperatorSpendSince(monthStart);
        var paused = _ledger.Setting(KillSwitchSetting) == "true";
        // Kept a while after their period, so a call settling just after midnight still finds its hold.
        var dayExpiry = dayStart.AddDays(3).ToUnixTimeSeconds();
        var monthExpiry = monthStart.AddMonths(1).AddDays(7).ToUnixTimeSeconds();
        db.ScriptEvaluate(SeedScript, [DayKey(day), MonthKey(month), KillKey],
            [ToNano(daySpent), ToNano(monthSpent), Guid.NewGuid().ToString("N"), dayExpiry, monthExpiry, paused ? "true" : "false"]);
        _logger.LogInformation("Shared spend counters seeded from the ledger where missing: ${Day} today, ${Month} this month", daySpent, monthSpent);
    }

    /// <summary>
    /// Releases a hold and adds the actual cost. A hold that is gone was seeded over after it was made (Redis lost it):
    /// the seed counted the call at its worst case or at its actual cost, so only a cost above the worst case is added.
    /// When Redis cannot be reached the release is kept and retried before the next hold or on reconnection.
    /// A replayed release (its first reply was lost) changes nothing.
    /// </summary>
    public void Release(DateOnly day, int month, string field, decimal actualUsd, decimal worstUsd)
    {
        RedisKey[] keys = [DayKey(day), MonthKey(month)];
        RedisValue[] args = [field, ToNano(actualUsd), ToNano(worstUsd), SettledChannel.ToString()];
        Run(db => db.ScriptEvaluate(ReleaseScript, keys, args), "settle a call");
    }

    /// <summary>
    /// A call settled at its worst case was confirmed at another cost. Counters seeded since its hold may already
    /// hold the confirmed cost: they only take a rise. Each hold's field is adjusted once, so a replay changes nothing.
    /// </summary>
    public void Adjust(DateOnly day, int month, string field, string? dayEpoch, string? monthEpoch, decimal changeUsd)
    {
        var change = changeUsd >= 0 ? ToNano(changeUsd) : -ToNano(-changeUsd);
        RedisKey[] keys = [DayKey(day), MonthKey(month)];
        RedisValue[] args = [change, dayEpoch ?? "", monthEpoch ?? "", SettledChannel.ToString(), field];
        Run(db => db.ScriptEvaluate(AdjustScript, keys, args), "reconcile a call");
    }

    /// <summary>The kill switch as every instance sees it; missing (an emptied Redis) means the ledger's.</summary>
    public bool Paused()
    {
        var value = (string?)_redis.Database.StringGet(KillKey);
        return value is null ? _ledger.Setting(KillSwitchSetting) == "true" : value == "true";
    }

    /// <summary>
    /// Written to the ledger first (it outlives Redis), then to Redis. Never queued: other instances only obey it once
    /// Redis has it, so a failure throws and the operator is told to try again.
    /// </summary>
    public void SetPaused(bool paused)
    {
        var value = paused ? "true" : "false";
        _ledger.SetSetting(KillSwitchSetting, value);
        _redis.Database.StringSet(KillKey, value);
    }

    /// <summary>Throws unless Redis answers now.</summary>
    public void Ping() => _redis.Database.Ping();

    // Synchronous on purpose: callers (a settlement) are synchronous, and blocking on an async call would starve the thread pool.
    private void Run(Action<IDatabase> change, string what)
    {
        try
        {
            change(_redis.Database);
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            _logger.LogError("Redis could not {What} ({Error}); it is retried when Redis answers again", what, ex.Message);
            _pending.Enqueue(change);
        }
    }

    /// <summary>Replays the kept changes in order, each removed only once it ran; a Redis failure stops (and throws) with the rest kept.</summary>
    private void DrainPending(IDatabase db)
    {
        if (_pending.IsEmpty) return;
        lock (_drainGate)
        {
            while (_pending.TryPeek(out var change))
            {
                try
                {
                    change(db);
                }
                catch (Exception ex) when (!RedisConnection.IsFailure(ex) && ex is not ObjectDisposedException)
                {
                    // It would fail the same way every time and block the rest behind it.
                    _logger.LogError("A kept change was refused by Redis and dropped ({Error})", ex.Message);
                }
                _pending.TryDequeue(out _);
            }
        }
    }

    private void DrainAfterReconnect()
    {
        try
        {
            DrainPending(_redis.Database);
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex) || ex is ObjectDisposedException)
        {
            _logger.LogWarning("Kept spend changes could not be replayed after Redis reconnected ({Error}); the next hold tries again", ex.Message);
        }
    }

    private void Subscribe()
    {
        if (Interlocked.Exchange(ref _subscribed, 1) == 1) return;
        // The multiplexer restores the subscription after a reconnect; until it is up, waiting callers poll.
        _ = _redis.Multiplexer.GetSubscriber().SubscribeAsync(SettledChannel, (_, _) => Settled?.Invoke())
            .ContinueWith(t => _logger.LogWarning("Subscribing to settlements failed ({Error}); waiting calls poll", t.Exception?.GetBaseException().Message),
                TaskContinuationOptions.OnlyOnFaulted);
    }
}
