namespace CoScientist.Core.Storage;

/// <summary>
/// Writers that take turns, waiting as tasks rather than as threads: for an engine that takes one writer at a time
/// (SQLite), where a burst of writers would otherwise sleep on pool threads in the engine's busy handler, or block on a
/// lock held around a write, while pages wait for a thread to be drawn on. Reads need no turn.
/// </summary>
public sealed class WriteQueue
{
    // Never disposed: a writer finishing while the app stops still ends its turn.
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>Waits for this writer's turn; disposing the result ends it.</summary>
    public async ValueTask<Turn> TurnAsync(CancellationToken cancellationToken = default)
    {
        await _turn.WaitAsync(cancellationToken);
        return new Turn(_turn);
    }

    /// <summary>A writer's turn, ended by disposing it.</summary>
    public readonly struct Turn(SemaphoreSlim turn) : IDisposable
    {
        public void Dispose() => turn.Release();
    }
}
