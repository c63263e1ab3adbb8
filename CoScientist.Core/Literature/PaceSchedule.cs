namespace CoScientist.Core.Literature;

/// <summary>
/// Where a source's next free start time is kept. In this process by default; in Redis when instances share the
/// sources' pace (<see cref="RedisPaceSchedule"/>). Times come from the caller's clock.
/// </summary>
public interface IPaceSchedule
{
    /// <summary>Takes the next start slot, max(now, next free), and moves the next free one to that slot plus <paramref name="interval"/>.</summary>
    Task<DateTimeOffset> TakeSlotAsync(string source, DateTimeOffset now, TimeSpan interval);

    /// <summary>No slot is handed out before <paramref name="until"/>.</summary>
    Task PostponeAsync(string source, DateTimeOffset now, DateTimeOffset until);
}

/// <summary>The shared pace could not be consulted (Redis unreachable): the source is not asked, rather than asked too fast.</summary>
public sealed class PaceUnavailableException(string message, Exception? inner) : Exception(message, inner);

/// <summary>One process's schedule: each source's next free start, under a lock.</summary>
public sealed class LocalPaceSchedule : IPaceSchedule
{
    private readonly Dictionary<string, DateTimeOffset> _nextStart = [];
    private readonly Lock _gate = new();

    public Task<DateTimeOffset> TakeSlotAsync(string source, DateTimeOffset now, TimeSpan interval)
    {
        lock (_gate)
        {
            var next = _nextStart.GetValueOrDefault(source, DateTimeOffset.MinValue);
            var start = now > next ? now : next;
            _nextStart[source] = start + interval;
            return Task.FromResult(start);
        }
    }

    public Task PostponeAsync(string source, DateTimeOffset now, DateTimeOffset until)
    {
        lock (_gate)
        {
            if (until > _nextStart.GetValueOrDefault(source, DateTimeOffset.MinValue)) _nextStart[source] = until;
        }
        return Task.CompletedTask;
    }
}
