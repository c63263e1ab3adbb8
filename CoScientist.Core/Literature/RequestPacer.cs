namespace CoScientist.Core.Literature;

/// <summary>
/// Keeps one source's requests polite, server-wide: request starts at least <c>interval</c> apart on the given
/// clock, at most <c>maxConcurrent</c> in flight, and a source that asked us to back off (429/503 with Retry-After)
/// gets no request from anyone until then. System.Threading.RateLimiting ships in the ASP.NET Core shared framework,
/// not the base one Core is limited to, and its window limiters run on the real clock; a semaphore and a
/// TimeProvider do the same job here, and let a test's clock drive it.
/// </summary>
public sealed class RequestPacer(TimeSpan interval, int maxConcurrent, TimeProvider clock) : IDisposable
{
    private readonly SemaphoreSlim _concurrency = new(maxConcurrent, maxConcurrent);
    private readonly Lock _gate = new();
    private DateTimeOffset _nextStart = DateTimeOffset.MinValue;

    public TimeSpan Interval => interval;

    /// <summary>Waits for this request's turn; dispose the answer when the request has finished.</summary>
    public async ValueTask<IDisposable> WaitTurnAsync(CancellationToken cancellationToken)
    {
        await _concurrency.WaitAsync(cancellationToken);
        var lease = new Lease(_concurrency);
        try
        {
            DateTimeOffset start;
            lock (_gate)
            {
                var now = clock.GetUtcNow();
                start = now > _nextStart ? now : _nextStart;
                _nextStart = start + interval;
            }
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
    public void BackOffUntil(DateTimeOffset until)
    {
        lock (_gate)
        {
            if (until > _nextStart) _nextStart = until;
        }
    }

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
