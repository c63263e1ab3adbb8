namespace CoScientist.Core.Literature;

/// <summary>
/// Keeps one source's requests polite: request starts at least <c>interval</c> apart on the given clock, at most
/// <c>maxConcurrent</c> in flight, and a source that asked us to back off (429/503 with Retry-After) gets no request
/// from anyone until then. The start times live in an <see cref="IPaceSchedule"/>: this process's own by default, so
/// the pace holds server-wide; Redis's when instances share it, so the pace holds for the whole site. The bound on
/// requests in flight stays per instance. System.Threading.RateLimiting ships in the ASP.NET Core shared framework,
/// not the base one Core is limited to, and its window limiters run on the real clock; a semaphore and a
/// TimeProvider do the same job here, and let a test's clock drive it.
/// </summary>
public sealed class RequestPacer(TimeSpan interval, int maxConcurrent, TimeProvider clock, string source = "", IPaceSchedule? schedule = null)
    : IDisposable
{
    private readonly SemaphoreSlim _concurrency = new(maxConcurrent, maxConcurrent);
    private readonly IPaceSchedule _schedule = schedule ?? new LocalPaceSchedule();

    public TimeSpan Interval => interval;

    /// <summary>
    /// Waits for this request's turn; dispose the answer when the request has finished. Throws
    /// <see cref="PaceUnavailableException"/> when the shared schedule cannot be consulted.
    /// </summary>
    public async ValueTask<IDisposable> WaitTurnAsync(CancellationToken cancellationToken)
    {
        await _concurrency.WaitAsync(cancellationToken);
        var lease = new Lease(_concurrency);
        try
        {
            var start = await _schedule.TakeSlotAsync(source, clock.GetUtcNow(), interval);
            var wait = start - clock.GetUtcNow();
            if (wait > TimeSpan.Zero) await Task.Delay(wait, clock, cancellationToken);
            return lease;
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>No request starts before <paramref name="until"/>, whoever asks.</summary>
    public Task BackOffUntilAsync(DateTimeOffset until) => _schedule.PostponeAsync(source, clock.GetUtcNow(), until);

    public void Dispose() => _concurrency.Dispose();

    private sealed class Lease(SemaphoreSlim semaphore) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) semaphore.Release();
        }
    }
}
