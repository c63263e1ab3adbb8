using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Cost;

/// <summary>An operator-key call's claim on the caps, held from before the call until it is settled.</summary>
public sealed record SpendReservation(long LedgerId, decimal WorstCaseUsd, DateOnly Day, int Month, KeyKind KeyKind);

/// <summary>
/// Where the daily and monthly USD caps on the operator's key are enforced. Every operator call
/// reserves its worst-case cost here before it is made; a reservation that would cross a cap is
/// refused, so concurrent sessions can never overshoot. Settling replaces the worst case with the
/// actual cost; a failed call gives back its reservation. Totals start from the ledger, so they
/// survive a restart. The kill switch pauses every operator call at once.
/// </summary>
public sealed class SpendGuard
{
    private readonly SpendLedger _ledger;
    private readonly IOptionsMonitor<CostControlOptions> _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<SpendGuard> _logger;
    private readonly Lock _gate = new();
    private DateOnly _day;
    private int _month;
    private decimal _dayTotal;
    private decimal _monthTotal;

    public SpendGuard(SpendLedger ledger, IOptionsMonitor<CostControlOptions> options, TimeProvider clock, ILogger<SpendGuard> logger)
    {
        _ledger = ledger;
        _options = options;
        _clock = clock;
        _logger = logger;
        lock (_gate) Reload(_clock.GetUtcNow());
    }

    public bool Paused { get; private set; }

    public void SetPaused(bool paused)
    {
        Paused = paused;
        _logger.LogWarning("Kill switch {State}: operator-key LLM calls are {Effect}", paused ? "on" : "off", paused ? "paused" : "allowed again");
    }

    /// <summary>Today's and this month's operator spend, open reservations included.</summary>
    public (decimal Today, decimal Month) Totals()
    {
        lock (_gate)
        {
            RollOver(_clock.GetUtcNow());
            return (_dayTotal, _monthTotal);
        }
    }

    /// <summary>Why operator calls are refused right now regardless of size, or null.</summary>
    public LimitBlock? CurrentBlock(decimal nextCallUsd = 0)
    {
        lock (_gate)
            return Check(_clock.GetUtcNow(), nextCallUsd);
    }

    public SpendReservation Reserve(CallReservation call)
    {
        if (call.KeyKind == KeyKind.Visitor)
        {
            // A visitor's own key: recorded for the admin page, never counted against the operator's caps.
            var id = _ledger.Reserve(call);
            var now = _clock.GetUtcNow();
            return new SpendReservation(id, call.ReservedUsd, DateOnly.FromDateTime(now.UtcDateTime), MonthOf(now), KeyKind.Visitor);
        }
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            if (Check(now, call.ReservedUsd) is { } block)
                throw new LlmException(LlmErrorKind.LimitReached, block.FullMessage) { Block = block };
            var id = _ledger.Reserve(call with { At = now });
            _dayTotal += call.ReservedUsd;
            _monthTotal += call.ReservedUsd;
            return new SpendReservation(id, call.ReservedUsd, _day, _month, KeyKind.Operator);
        }
    }

    /// <param name="keepReservation">Count the call at its worst case: its real cost is unknown (it was cancelled mid-way).</param>
    public void Settle(SpendReservation reservation, LlmUsage? usage, string? error, bool keepReservation = false)
    {
        var actual = keepReservation ? reservation.WorstCaseUsd : usage?.CostUsd ?? 0m;
        var status = error is null ? CallStatus.Settled : CallStatus.Failed;
        _ledger.Settle(reservation.LedgerId, status, actual, usage?.InputTokens ?? 0, usage?.OutputTokens ?? 0, usage?.GenerationId, error);
        if (reservation.KeyKind == KeyKind.Visitor)
            return;
        if (actual > reservation.WorstCaseUsd)
            _logger.LogWarning("A call cost ${Actual} but reserved only ${Reserved}", actual, reservation.WorstCaseUsd);
        lock (_gate)
        {
            var delta = actual - reservation.WorstCaseUsd;
            if (reservation.Day == _day) _dayTotal += delta;
            if (reservation.Month == _month) _monthTotal += delta;
        }
    }

    private LimitBlock? Check(DateTimeOffset now, decimal next)
    {
        RollOver(now);
        var options = _options.CurrentValue;
        if (Paused)
            return new LimitBlock(LimitKind.Paused, "The operator has paused all LLM calls on the shared key.", null, OwnKeyHelps: true);
        if (_dayTotal + next > options.DailyCap)
        {
            var reset = new DateTimeOffset(_day.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return new LimitBlock(LimitKind.DailySpend,
                $"The daily spending limit of ${options.DailyCap:0.00} on the shared key is reached (${_dayTotal:0.0000} spent or held by calls in progress today). It resets at {LimitBlock.Until(reset, now)}.",
                reset, OwnKeyHelps: true);
        }
        if (_monthTotal + next > options.MonthlyCap)
        {
            var first = new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1);
            var reset = new DateTimeOffset(first);
            return new LimitBlock(LimitKind.MonthlySpend,
                $"The monthly spending limit of ${options.MonthlyCap:0.00} on the shared key is reached (${_monthTotal:0.0000} spent or held by calls in progress this month). It resets at {LimitBlock.Until(reset, now)}.",
                reset, OwnKeyHelps: true);
        }
        return null;
    }

    private void RollOver(DateTimeOffset now)
    {
        if (DateOnly.FromDateTime(now.UtcDateTime) != _day || MonthOf(now) != _month)
            Reload(now);
    }

    private void Reload(DateTimeOffset now)
    {
        _day = DateOnly.FromDateTime(now.UtcDateTime);
        _month = MonthOf(now);
        _dayTotal = _ledger.OperatorSpendSince(new DateTimeOffset(_day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));
        _monthTotal = _ledger.OperatorSpendSince(new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero));
    }

    private static int MonthOf(DateTimeOffset t) => t.Year * 12 + t.Month;
}
