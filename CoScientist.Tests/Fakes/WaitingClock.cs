using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace CoScientist.Tests.Fakes;

/// <summary>
/// A fake clock that tells when code starts waiting on it, so a test can move time exactly when something waits
/// (a pacer's turn, a Retry-After pause) instead of sleeping or guessing.
/// </summary>
public sealed class WaitingClock() : FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero))
{
    private readonly Channel<TimeSpan> _waits = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _waits.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>
    /// Awaits <paramref name="task"/>, moving the clock on by each wait shorter than <paramref name="below"/> as it
    /// begins; longer ones (request timeouts) are left alone, so they never fire by accident. Only a hang detector
    /// bounds it: work between two waits (ranking papers with the embedding model, say) can take a while on a busy machine.
    /// </summary>
    public async Task<T> RunAsync<T>(Task<T> task, TimeSpan below)
    {
        while (!task.IsCompleted)
        {
            await Task.WhenAny(task, _waits.Reader.WaitToReadAsync().AsTask()).WaitAsync(TimeSpan.FromMinutes(2));
            while (_waits.Reader.TryRead(out var due))
                if (due > TimeSpan.Zero && due < below) Advance(due);
        }
        return await task;
    }
}
