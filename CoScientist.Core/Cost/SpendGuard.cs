using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Cost;

/// <summary>An operator-key call's claim on the caps, held from before the call until it is settled.</summary>
public sealed record SpendReservation(long LedgerId, decimal WorstCaseUsd, DateOnly Day, int Month, KeyKind KeyKind)
{
    /// <summary>With shared counters (Redis): the hold's field there, and the seedings of the day's and month's counters it went into.</summary>
    public string? SharedField { get; init; }
    public string? DayEpoch { get; init; }
    public string? MonthEpoch { get; init; }
}

/// <summary>The kill switch was saved in the ledger but could not reach the other instances through Redis.</summary>
public sealed class KillSwitchNotSharedException(Exception inner) : Exception(
    "The kill switch is saved but could not reach the other instances through Redis, so they may still be spending; try again.", inner);

/// <summary>
/// Where the daily and monthly USD caps on the operator's key are enforced. Every operator call
/// reserves its worst-case cost here before it is made, so concurrent sessions can never overshoot.
/// A call that would cross a cap with what is already spent is refused; one that only fails to fit
/// beside calls still in flight waits for them to settle (their actual costs are usually far below
/// their worst cases). Settling replaces the worst case with the actual cost; a failed call gives
/// back its reservation. Totals start from the ledger, so they survive a restart, and never fall below
/// OpenRouter's own count for the key (SpendGuard.Provider.cs). The kill switch pauses every operator call at once.
/// </summary>
public sealed partial class SpendGuard
{
    internal static readonly TimeSpan MaxWaitForRoom = TimeSpan.FromSeconds(60);
    private readonly SpendLedger _ledger;
    private readonly IOptionsMonitor<CostControlOptions> _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<SpendGuard> _logger;
    // Guards the figures below. A call takes it only inside its turn to write the ledger (SpendLedger.WriteTurnAsync),
    // and others only briefly, to read or set a figure: hundreds of calls reserving and settling at once used to block as
    // many pool threads on this lock around their writes, and the pages drawn on those threads waited with them.
    private readonly Lock _gate = new();
    private TaskCompletionSource _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateOnly _day;
    private int _month;
    private decimal _daySpent, _monthSpent;   // settled, plus reservations an earlier run left open
    private decimal _dayHeld, _monthHeld;     // reservations of calls in flight now
    private bool _loaded;                     // the totals above were read from the ledger

    /// <param name="shared">Counters in Redis shared by every instance; null keeps them in this process (one instance).</param>
    public SpendGuard(SpendLedger ledger, IOptionsMonitor<CostControlOptions> options, TimeProvider clock, ILogger<SpendGuard> logger,
        Distributed.RedisSpendCounters? shared = null)
    {
        _ledger = ledger;
        _options = options;
        _clock = clock;
        _logger = logger;
        _shared = shared;
        if (shared is not null)
        {
            shared.Settled += WakeWaiting;
            return;
        }
        try
        {
            lock (_gate) Reload(_clock.GetUtcNow());
        }
        catch (LlmException)
        {
            // Logged by the ledger; every call is refused until the ledger can be read and written.
        }
    }

    private const string PausedKey = "kill_switch";

    /// <summary>The kill switch; kept in the ledger, so a restart does not quietly switch it off.</summary>
    public bool Paused
    {
        get => _shared is null ? _paused : SharedPaused();
        private set => _paused = value;
    }

    private bool _paused;

    /// <exception cref="KillSwitchNotSharedException">Saved in the ledger, but Redis could not pass it to the other instances.</exception>
    public void SetPaused(bool paused)
    {
        if (_shared is not null)
        {
            try
            {
                _shared.SetPaused(paused);
            }
            catch (Exception ex) when (Distributed.RedisConnection.IsFailure(ex))
            {
                Paused = paused; // this instance obeys its ledger meanwhile
                _logger.LogError("Kill switch {State} saved in the ledger, but Redis could not be reached ({Error}): other instances do not know",
                    paused ? "on" : "off", ex.Message);
                throw new KillSwitchNotSharedException(ex);
            }
        }
        else
            _ledger.SetSetting(PausedKey, paused ? "true" : "false");
        Paused = paused;
        _logger.LogWarning("Kill switch {State}: operator-key LLM calls are {Effect}", paused ? "on" : "off", paused ? "paused" : "allowed again");
    }

    /// <summary>
    /// Today's and this month's operator spend (OpenRouter's figure as a floor); calls in flight are included at their
    /// worst case unless <paramref name="inFlight"/> is false.
    /// </summary>
    public (decimal Today, decimal Month) Totals(bool inFlight = true)
    {
        if (_shared is not null)
            return SharedTotals(inFlight);
        lock (_gate)
        {
            RollOver(_clock.GetUtcNow());
            var (dayAbove, monthAbove) = ProviderAboveLedger();
            return inFlight
                ? (_daySpent + _dayHeld + dayAbove, _monthSpent + _monthHeld + monthAbove)
                : (_daySpent + dayAbove, _monthSpent + monthAbove);
        }
    }

    /// <summary>
    /// Why a new cycle expected to cost <paramref name="expectedCycleUsd"/> should not start now, or null:
    /// starting cycles the remaining budget cannot finish would only leave them half done.
    /// </summary>
    public LimitBlock? CurrentBlock(decimal expectedCycleUsd = 0)
    {
        if (_shared is not null)
            return SharedCurrentBlock(expectedCycleUsd);
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            RollOver(now); // before the totals are read: the first look after midnight must see the new day's
            return Check(now, expectedCycleUsd, _daySpent + _dayHeld, _monthSpent + _monthHeld, forCycle: expectedCycleUsd > 0);
        }
    }

    public async Task<SpendReservation> ReserveAsync(CallReservation call, CancellationToken cancellationToken)
    {
        if (call.KeyKind == KeyKind.Visitor)
        {
            // A visitor's own key: recorded for the admin page, never counted against the operator's caps.
            long id;
            using (await _ledger.WriteTurnAsync(cancellationToken))
                id = Record(call);
            var now = _clock.GetUtcNow();
            return new SpendReservation(id, call.ReservedUsd, DateOnly.FromDateTime(now.UtcDateTime), MonthOf(now), KeyKind.Visitor);
        }

        if (_shared is not null)
            return await SharedReserveAsync(call, cancellationToken);
        var deadline = _clock.GetUtcNow() + MaxWaitForRoom;
        while (true)
        {
            Task settled;
            using (await _ledger.WriteTurnAsync(cancellationToken))
            {
                lock (_gate)
                {
                    var now = _clock.GetUtcNow();
                    RollOver(now); // before the totals are read: the first call after midnight is judged against the new day
                    if (Check(now, call.ReservedUsd, _daySpent, _monthSpent) is { } final)
                        throw RefusedByCap(final, new LlmException(LlmErrorKind.LimitReached, final.FullMessage) { Block = final });
                    if (Check(now, call.ReservedUsd, _daySpent + _dayHeld, _monthSpent + _monthHeld) is null)
                    {
                        var id = Record(call with { At = now });
                        _dayHeld += call.ReservedUsd;
                        _monthHeld += call.ReservedUsd;
                        return new SpendReservation(id, call.ReservedUsd, _day, _month, KeyKind.Operator);
                    }
                    if (now >= deadline)
                    {
                        var busy = Check(now, call.ReservedUsd, _daySpent + _dayHeld, _monthSpent + _monthHeld)!;
                        throw new LlmException(LlmErrorKind.LimitReached, busy.FullMessage) { Block = busy };
                    }
                    settled = _settled.Task;
                }
            }
            // Room may appear when a call in flight settles below its worst case.
            try
            {
                await settled.WaitAsync(TimeSpan.FromSeconds(1), _clock, cancellationToken);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    /// <summary>Writes the reservation before the call; a call the ledger cannot record is never made.</summary>
    private long Record(CallReservation call)
    {
        try
        {
            return _ledger.Reserve(call);
        }
        catch (Exception ex) when (SpendLedger.IsStorageFailure(ex))
        {
            _logger.LogError("The spend ledger refused a reservation ({Error}); no LLM call is made that it cannot record", ex.Message);
            throw new LlmException(LlmErrorKind.StorageUnavailable,
                "The server cannot write its spend ledger (its disk is full or read-only, or its database cannot be reached), so it makes no more LLM calls until that is fixed. Everything finished so far is kept.",
                inner: ex);
        }
    }

    /// <param name="keepReservation">Count the call at its worst case: its real cost is unknown (it was lost or cancelled mid-way).</param>
    public async Task SettleAsync(SpendReservation reservation, LlmUsage? usage, string? error, bool keepReservation = false)
    {
        var actual = keepReservation ? reservation.WorstCaseUsd : usage?.CostUsd ?? 0m;
        var status = keepReservation ? CallStatus.Unconfirmed : error is null ? CallStatus.Settled : CallStatus.Failed;
        if (reservation.KeyKind == KeyKind.Visitor)
        {
            using (await _ledger.WriteTurnAsync())
                actual = WriteSettlement(reservation, usage, error, actual, status);
            RecordMetrics(reservation, usage, actual, error);
            return;
        }
        if (_shared is not null)
        {
            await SharedSettleAsync(reservation, usage, error, actual, status);
            return;
        }
        TaskCompletionSource wake;
        using (await _ledger.WriteTurnAsync())
        {
            // The ledger row and the totals change together: a day or month rolling over (which re-reads the ledger)
            // cannot fall between them and count the call twice.
            lock (_gate)
            {
                actual = WriteSettlement(reservation, usage, error, actual, status);
                if (reservation.Day == _day) { _dayHeld -= reservation.WorstCaseUsd; _daySpent += actual; }
                if (reservation.Month == _month) { _monthHeld -= reservation.WorstCaseUsd; _monthSpent += actual; }
                _settledHere += actual;
                wake = _settled;
                _settled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        RecordMetrics(reservation, usage, actual, error);
        if (actual > reservation.WorstCaseUsd)
            _logger.LogWarning("A call cost ${Actual} but reserved only ${Reserved}", actual, reservation.WorstCaseUsd);
        wake.TrySetResult();
        OnSpendChanged(null);
    }

    /// <returns>What the call counts at: its worst case when the ledger could not record the settlement.</returns>
    private decimal WriteSettlement(SpendReservation reservation, LlmUsage? usage, string? error, decimal actual, CallStatus status)
    {
        try
        {
            _ledger.Settle(reservation.LedgerId, status, actual, usage?.InputTokens ?? 0, usage?.OutputTokens ?? 0, usage?.GenerationId, error);
            return actual;
        }
        catch (Exception ex) when (SpendLedger.IsStorageFailure(ex))
        {
            // The row stays "Reserved" at its worst case, which is what a restart will count; so do the caps now.
            _logger.LogError("The spend ledger could not settle call {Id} ({Error}); it stays counted at its worst case", reservation.LedgerId, ex.Message);
            return Math.Max(actual, reservation.WorstCaseUsd);
        }
    }

    /// <summary>A call settled at its worst case was later confirmed at <paramref name="confirmedUsd"/>: the caps count that instead.</summary>
    public void Reconcile(SpendReservation reservation, decimal confirmedUsd)
    {
        if (reservation.KeyKind == KeyKind.Visitor)
            return;
        if (_shared is not null)
        {
            SharedReconcile(reservation, confirmedUsd);
            return;
        }
        TaskCompletionSource wake;
        lock (_gate)
        {
            var change = confirmedUsd - reservation.WorstCaseUsd;
            if (reservation.Day == _day) _daySpent += change;
            if (reservation.Month == _month) _monthSpent += change;
            wake = _settled;
            _settled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        wake.TrySetResult();
    }

    private static void RecordMetrics(SpendReservation reservation, LlmUsage? usage, decimal actual, string? error)
    {
        var key = new KeyValuePair<string, object?>("key_kind", reservation.KeyKind.ToString().ToLowerInvariant());
        Telemetry.CoScientistMetrics.SpendUsd.Add((double)actual, key, new("model", usage?.Model));
        Telemetry.CoScientistMetrics.LlmCalls.Add(1, key, new("outcome", error ?? "ok"));
        if (usage is null) return;
        Telemetry.CoScientistMetrics.Tokens.Add(usage.InputTokens, key, new("direction", "input"));
        Telemetry.CoScientistMetrics.Tokens.Add(usage.OutputTokens, key, new("direction", "output"));
    }

    /// <summary>Under the lock, after <see cref="RollOver"/>: <paramref name="day"/> and <paramref name="month"/> are the current period's.</summary>
    private LimitBlock? Check(DateTimeOffset now, decimal next, decimal day, decimal month, bool forCycle = false)
    {
        var (dayAbove, monthAbove) = ProviderAboveLedger();
        return Block(now, next, day + dayAbove, month + monthAbove, Paused, _day, forCycle);
    }

    /// <summary>Which limit a call or cycle costing <paramref name="next"/> would cross, given what is used (floors included).</summary>
    private LimitBlock? Block(DateTimeOffset now, decimal next, decimal day, decimal month, bool paused, DateOnly today, bool forCycle)
    {
        string Reached(string period, decimal cap, decimal used) => forCycle && used < cap
            ? $"The {period} spending limit of ${cap:0.00} on the shared key is nearly used up (${used:0.0000} spent) and the next cycle is expected to cost about ${next:0.0000}."
            : $"The {period} spending limit of ${cap:0.00} on the shared key is reached (${used:0.0000} spent).";
        var options = _options.CurrentValue;
        if (paused)
            return new LimitBlock(LimitKind.Paused, "The operator has paused all LLM calls on the shared key.", null, OwnKeyHelps: true);
        if (day + next > options.DailyCap)
        {
            var reset = new DateTimeOffset(today.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return new LimitBlock(LimitKind.DailySpend,
                $"{Reached("daily", options.DailyCap, day)} It resets at {LimitBlock.Until(reset, now)}.",
                reset, OwnKeyHelps: true);
        }
        if (month + next > options.MonthlyCap)
        {
            var reset = new DateTimeOffset(new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1));
            return new LimitBlock(LimitKind.MonthlySpend,
                $"{Reached("monthly", options.MonthlyCap, month)} It resets at {LimitBlock.Until(reset, now)}.",
                reset, OwnKeyHelps: true);
        }
        return null;
    }

    private void RollOver(DateTimeOffset now)
    {
        if (!_loaded || DateOnly.FromDateTime(now.UtcDateTime) != _day || MonthOf(now) != _month)
            Reload(now);
    }

    /// <summary>
    /// Counts from the ledger. A call counts on the UTC day and month its row is stamped with (when its reservation was
    /// granted, just before it was sent): one in flight across a boundary settles against the period it was reserved in.
    /// </summary>
    private void Reload(DateTimeOffset now)
    {
        try
        {
            var day = DateOnly.FromDateTime(now.UtcDateTime);
            var daySpent = _ledger.OperatorSpendSince(new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));
            var monthSpent = _ledger.OperatorSpendSince(new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero));
            if (!_loaded)
                Paused = _ledger.Setting(PausedKey) == "true";
            // Across midnight inside a month, this month's calls in flight stay held: the ledger counts their rows at
            // their worst case, which as "spent" would refuse for good a call that only has to wait for them to settle.
            // A new day has none of them (their rows carry the old day), and a new month starts with none either.
            var monthHeld = _loaded && MonthOf(now) == _month ? _monthHeld : 0;
            (_day, _month, _daySpent, _monthSpent) = (day, MonthOf(now), daySpent, monthSpent - monthHeld);
            (_dayHeld, _monthHeld) = (0, monthHeld);
            _loaded = true;
        }
        catch (Exception ex) when (SpendLedger.IsStorageFailure(ex))
        {
            // Without the ledger the spend so far is unknown: no call may be made against the caps.
            throw new LlmException(LlmErrorKind.StorageUnavailable, LedgerUnreadableMessage, inner: ex);
        }
    }

    private const string LedgerUnreadableMessage =
        "The server cannot read its spend ledger (its disk is full, read-only or missing, or its database cannot be reached), so it makes no LLM calls until that is fixed.";

    private static int MonthOf(DateTimeOffset t) => t.Year * 12 + t.Month;
}
