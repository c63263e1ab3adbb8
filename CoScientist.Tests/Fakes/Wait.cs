using System.Diagnostics;

namespace CoScientist.Tests.Fakes;

/// <summary>
/// Waits on a condition, never on time: the condition is asked again at a short poll interval until it holds, and the
/// timeout only bounds a test whose condition never comes true.
/// </summary>
public static class Wait
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>Polls until the condition holds; fails the test with a timeout otherwise.</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), timeout);

    /// <summary>Polls until an asynchronous condition holds (a server answers, a count reaches a value); times out otherwise.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        var waited = Stopwatch.StartNew();
        using var poll = new PeriodicTimer(PollInterval);
        while (!await condition())
        {
            if (waited.Elapsed > limit) throw new TimeoutException("The condition was not met in time.");
            await poll.WaitForNextTickAsync();
        }
    }
}
