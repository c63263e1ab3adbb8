namespace CoScientist.Tests.Fakes;

/// <summary>
/// The real clock, except that a one-off wait shorter than <c>below</c> (a pacer's turn, a retry pause) is over at
/// once and moves this clock's time on by its length, as if it had been waited out. Longer waits (request timeouts) run
/// in real time and are never fired early by such a jump, unlike on one shared fake clock, where the time skipped for
/// one request's turn counts against another request's timeout while it is on its way.
/// </summary>
public sealed class SkippingClock(TimeSpan below) : TimeProvider
{
    private long _skippedTicks;

    /// <summary>The waiting this clock has spared the test.</summary>
    public TimeSpan Skipped => TimeSpan.FromTicks(Interlocked.Read(ref _skippedTicks));

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Skipped;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime <= TimeSpan.Zero || dueTime >= below || period != Timeout.InfiniteTimeSpan)
            return System.CreateTimer(callback, state, dueTime, period);
        // Time moves before the timer fires, so the waiter wakes to a clock that says its moment has come.
        Interlocked.Add(ref _skippedTicks, dueTime.Ticks);
        return System.CreateTimer(callback, state, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }
}
