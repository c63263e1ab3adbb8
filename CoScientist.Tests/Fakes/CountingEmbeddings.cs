using CoScientist.Core.Embeddings;

namespace CoScientist.Tests.Fakes;

/// <summary>
/// The real model, counting the texts it is asked for (the shared model's own count includes every test running
/// alongside), and held on demand: a call then waits, told to the test, until <see cref="Release"/>.
/// </summary>
public sealed class CountingEmbeddings(IEmbeddingModel inner) : IEmbeddingModel
{
    private TaskCompletionSource _gate = Opened();
    private readonly SemaphoreSlim _entered = new(0);
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);
    public int Dimensions => inner.Dimensions;

    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    public void Release() => _gate.TrySetResult();

    /// <summary>Completes when one more call has reached the model (or its gate).</summary>
    public async Task EnteredAsync()
    {
        if (!await _entered.WaitAsync(TimeSpan.FromSeconds(30)))
            throw new TimeoutException("No call reached the model within 30 s.");
    }

    public async Task<float[]> EmbedAsync(string text, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        _entered.Release();
        await _gate.Task.WaitAsync(cancellationToken);
        return await inner.EmbedAsync(text, cancellationToken);
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource();
        open.SetResult();
        return open;
    }
}
