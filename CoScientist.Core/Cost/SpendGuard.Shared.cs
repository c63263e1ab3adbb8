using CoScientist.Core.Distributed;
using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Logging;

namespace CoScientist.Core.Cost;

/// <summary>
/// The caps with counters in Redis (<see cref="RedisSpendCounters"/>), shared by every instance. The ledger stays the
/// record and is written first: a reservation's row before its hold, a settlement's row before its release. While
/// Redis cannot be reached no operator-key call is made (fail closed); everything recovers when it answers again.
/// OpenRouter's own count stays a floor, but the calls settled since it was read are this instance's only.
/// </summary>
public sealed partial class SpendGuard
{
    private readonly RedisSpendCounters? _shared;
    private SharedSpend _lastShared = new(0, 0, 0, 0, false);

    public const string SharedStoreMessage =
        "The server's shared budget store is temporarily unavailable, so no LLM call is made; try again in a minute. Everything finished so far is kept.";

    /// <summary>Null unless the caps' shared counters (Redis) cannot be reached now: then no cycle may start on any key.</summary>
    public LimitBlock? SharedStoreBlock()
    {
        if (_shared is null) return null;
        try
        {
            _shared.Ping();
            return null;
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            _logger.LogError("Redis cannot be reached ({Error}); cycles are refused until it can", ex.Message);
            return new LimitBlock(LimitKind.StorageUnavailable, SharedStoreMessage, null, OwnKeyHelps: false);
        }
    }

    private async Task<SpendReservation> SharedReserveAsync(CallReservation call, CancellationToken cancellationToken)
    {
        var shared = _shared!;
        var deadline = _clock.GetUtcNow() + MaxWaitForRoom;
        long? ledgerId = null;
        string? field = null;
        DateTimeOffset? recordedAt = null;
        var (day, month) = (default(DateOnly), 0);
        var held = false;
        var holdUncertain = false; // a hold with a field was sent and no answer came back: it may have landed
        try
        {
            while (true)
            {
                Task settled;
                lock (_gate) settled = _settled.Task; // before the check, so a settlement during it is not missed
                var now = _clock.GetUtcNow();
                // Once the ledger row is written, the hold goes into the day and month of its stamp (a seed counts it there),
                // even when waiting for room has crossed midnight.
                var at = recordedAt ?? now;
                (day, month) = (DateOnly.FromDateTime(at.UtcDateTime), MonthOf(at));
                var (dayFloor, monthFloor) = Floors(day, month);
                var options = _options.CurrentValue;
                // A quick look first, so refused and waiting calls leave no rows in the ledger.
                holdUncertain = field is not null;
                var result = await shared.TryHoldAsync(day, month, field, call.ReservedUsd, options.DailyCap, options.MonthlyCap, dayFloor, monthFloor);
                holdUncertain = false;
                if (result.Status == HoldStatus.Held && field is null)
                {
                    using (await _ledger.WriteTurnAsync(cancellationToken))
                    {
                        ledgerId = Record(call with { At = now });
                        recordedAt = now;
                    }
                    field = $"{shared.InstanceId}:{ledgerId}";
                    holdUncertain = true;
                    result = await shared.TryHoldAsync(day, month, field, call.ReservedUsd, options.DailyCap, options.MonthlyCap, dayFloor, monthFloor);
                    holdUncertain = false;
                }
                var s = result.Spend;
                var (dayUsed, monthUsed) = (Math.Max(s.DaySpent, dayFloor), Math.Max(s.MonthSpent, monthFloor));
                switch (result.Status)
                {
                    case HoldStatus.Held:
                        held = true;
                        _lastShared = s;
                        return new SpendReservation(ledgerId!.Value, call.ReservedUsd, day, month, KeyKind.Operator)
                        {
                            SharedField = field, DayEpoch = result.DayEpoch, MonthEpoch = result.MonthEpoch,
                        };
                    case HoldStatus.Wait when now < deadline:
                        break;
                    case HoldStatus.Wait:
                        throw Refused(Block(now, call.ReservedUsd, dayUsed + s.DayHeld, monthUsed + s.MonthHeld, s.Paused, day, forCycle: false));
                    default:
                        throw RefusedByCap(Block(now, call.ReservedUsd, dayUsed, monthUsed, s.Paused, day, forCycle: false), null);
                }
                try
                {
                    await settled.WaitAsync(TimeSpan.FromSeconds(1), _clock, cancellationToken);
                }
                catch (TimeoutException)
                {
                }
            }
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            _logger.LogError("Redis cannot be reached ({Error}); no operator-key call is made without a shared reservation", ex.Message);
            throw new LlmException(LlmErrorKind.StorageUnavailable, SharedStoreMessage, inner: ex);
        }
        catch (Exception ex) when (SpendLedger.IsStorageFailure(ex))
        {
            throw LedgerUnreadable(ex); // seeding the counters reads the ledger
        }
        finally
        {
            if (!held && ledgerId is { } id)
                WriteRefusal(id);
            if (!held && holdUncertain && field is not null)
                ReleaseQuietly(day, month, field, 0, call.ReservedUsd, "a hold whose answer was lost");
        }
    }

    private LlmException LedgerUnreadable(Exception ex)
    {
        _logger.LogError("The spend ledger cannot be read to seed the shared counters ({Error}); no operator-key call is made", ex.Message);
        return new LlmException(LlmErrorKind.StorageUnavailable, LedgerUnreadableMessage, inner: ex);
    }

    /// <summary>
    /// Gives a hold back without ever throwing: a release Redis cannot take now is kept and replayed, and one that is
    /// missing there (it never landed, or was seeded over) changes nothing beyond a cost above its worst case.
    /// </summary>
    private void ReleaseQuietly(DateOnly day, int month, string field, decimal actual, decimal worst, string what)
    {
        try
        {
            _shared!.Release(day, month, field, actual, worst);
        }
        catch (Exception ex)
        {
            _logger.LogError("Redis refused to release {What} ({Error}); its hold stays until its period's counters expire", what, ex.Message);
        }
    }

    private static LlmException Refused(LimitBlock? block)
    {
        // The counters moved between the script and this message: say what was refused in general terms.
        block ??= new LimitBlock(LimitKind.DailySpend, "The spending limit on the shared key is reached.", null, OwnKeyHelps: true);
        return new LlmException(LlmErrorKind.LimitReached, block.FullMessage) { Block = block };
    }

    /// <summary>A row written for a call that was then never made: it costs nothing.</summary>
    private void WriteRefusal(long ledgerId)
    {
        try
        {
            _ledger.Settle(ledgerId, CallStatus.Failed, 0, 0, 0, null, "NotMade");
        }
        catch (Exception ex) when (SpendLedger.IsStorageFailure(ex))
        {
            _logger.LogError("The spend ledger could not close the row of a call never made ({Error}); it counts at its worst case", ex.Message);
        }
    }

    private async Task SharedSettleAsync(SpendReservation reservation, Llm.LlmUsage? usage, string? error, decimal actual, CallStatus status)
    {
        using (await _ledger.WriteTurnAsync())
            actual = WriteSettlement(reservation, usage, error, actual, status); // the ledger first: a seed reads it
        lock (_gate) _settledHere += actual;
        // Never throws: the caller has a paid answer in hand, and a settlement that threw would be settled again.
        if (reservation.SharedField is { } field)
            ReleaseQuietly(reservation.Day, reservation.Month, field, actual, reservation.WorstCaseUsd, "a settled call");
        RecordMetrics(reservation, usage, actual, error);
        if (actual > reservation.WorstCaseUsd)
            _logger.LogWarning("A call cost ${Actual} but reserved only ${Reserved}", actual, reservation.WorstCaseUsd);
        WakeWaiting();
        OnSpendChanged(null);
    }

    private void SharedReconcile(SpendReservation reservation, decimal confirmedUsd)
    {
        if (reservation.SharedField is not { } field) return;
        try
        {
            _shared!.Adjust(reservation.Day, reservation.Month, field, reservation.DayEpoch, reservation.MonthEpoch, confirmedUsd - reservation.WorstCaseUsd);
        }
        catch (Exception ex)
        {
            _logger.LogError("Redis refused to reconcile a call ({Error}); it stays counted at its worst case", ex.Message);
        }
        WakeWaiting();
    }

    /// <summary>The shared counters now, or the last ones read while Redis cannot be reached (the admin page stays up).</summary>
    private SharedSpend ReadShared(DateTimeOffset now)
    {
        try
        {
            return _lastShared = _shared!.Read(DateOnly.FromDateTime(now.UtcDateTime), MonthOf(now));
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex) || SpendLedger.IsStorageFailure(ex))
        {
            _logger.LogWarning("The shared counters cannot be read or seeded ({Error}); the last shared totals read are shown", ex.Message);
            return _lastShared;
        }
    }

    private (decimal Today, decimal Month) SharedTotals(bool inFlight)
    {
        var now = _clock.GetUtcNow();
        var s = ReadShared(now);
        var (dayFloor, monthFloor) = Floors(DateOnly.FromDateTime(now.UtcDateTime), MonthOf(now));
        return inFlight
            ? (Math.Max(s.DaySpent, dayFloor) + s.DayHeld, Math.Max(s.MonthSpent, monthFloor) + s.MonthHeld)
            : (Math.Max(s.DaySpent, dayFloor), Math.Max(s.MonthSpent, monthFloor));
    }

    private SpendSources SharedSources()
    {
        var now = _clock.GetUtcNow();
        var s = ReadShared(now);
        ProviderUsage? provider;
        (decimal? Today, decimal? Month) figures;
        lock (_gate)
        {
            provider = _provider;
            figures = ProviderFigures(DateOnly.FromDateTime(now.UtcDateTime), MonthOf(now));
        }
        return new SpendSources(s.DaySpent + s.DayHeld, s.MonthSpent + s.MonthHeld, figures.Today + s.DayHeld, figures.Month + s.MonthHeld, provider?.ReadAt);
    }

    private LimitBlock? SharedCurrentBlock(decimal expectedCycleUsd)
    {
        var now = _clock.GetUtcNow();
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        SharedSpend s;
        try
        {
            s = _lastShared = _shared!.Read(day, MonthOf(now));
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            return new LimitBlock(LimitKind.StorageUnavailable, SharedStoreMessage, null, OwnKeyHelps: false);
        }
        catch (Exception ex) when (SpendLedger.IsStorageFailure(ex))
        {
            _logger.LogError("The spend ledger cannot be read to seed the shared counters ({Error}); cycles are refused until it can", ex.Message);
            return new LimitBlock(LimitKind.StorageUnavailable, LedgerUnreadableMessage, null, OwnKeyHelps: false);
        }
        var (dayFloor, monthFloor) = Floors(day, MonthOf(now));
        return Block(now, expectedCycleUsd, Math.Max(s.DaySpent, dayFloor) + s.DayHeld, Math.Max(s.MonthSpent, monthFloor) + s.MonthHeld,
            s.Paused, day, forCycle: expectedCycleUsd > 0);
    }

    private bool SharedPaused()
    {
        try
        {
            return _paused = _shared!.Paused();
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex) || SpendLedger.IsStorageFailure(ex))
        {
            return _paused; // nothing runs on the operator key meanwhile anyway
        }
    }

    /// <summary>OpenRouter's figures as floors under the shared spent amounts (zero when there are none for the period).</summary>
    private (decimal Day, decimal Month) Floors(DateOnly day, int month)
    {
        lock (_gate)
        {
            var (today, thisMonth) = ProviderFigures(day, month);
            return (today ?? 0, thisMonth ?? 0);
        }
    }

    private void WakeWaiting()
    {
        TaskCompletionSource wake;
        lock (_gate)
        {
            wake = _settled;
            _settled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        wake.TrySetResult();
    }
}
