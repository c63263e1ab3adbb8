using System.Reflection;
using System.Threading.Channels;
using CoScientist.Core.Storage;

namespace CoScientist.Tests.Fakes;

/// <summary>
/// A research store seen through a proxy: every finished call is reported on a channel the test can wait on,
/// and <see cref="Fail"/> makes calls to a method fail as unavailable storage does (a faulted task).
/// </summary>
public class ObservedResearchStore : DispatchProxy
{
    private IResearchStore _inner = null!;
    private readonly Dictionary<string, int> _failures = [];
    private readonly Channel<(string Method, object?[] Args)> _calls = Channel.CreateUnbounded<(string, object?[])>();

    public static (IResearchStore Store, ObservedResearchStore Observer) Around(IResearchStore inner)
    {
        var store = Create<IResearchStore, ObservedResearchStore>();
        var observer = (ObservedResearchStore)(object)store;
        observer._inner = inner;
        return (store, observer);
    }

    /// <summary>The next <paramref name="times"/> calls to <paramref name="method"/> fail.</summary>
    public void Fail(string method, int times = int.MaxValue)
    {
        lock (_failures) _failures[method] = times;
    }

    /// <summary>The arguments of the next finished call to <paramref name="method"/>; other calls are skipped.</summary>
    public async Task<object?[]> NextCallAsync(string method)
    {
        // A bound, not a pause: a schedule that never calls fails the test instead of hanging it.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var call = await _calls.Reader.ReadAsync(timeout.Token);
            if (call.Method == method) return call.Args;
        }
    }

    /// <summary>Whether a call to <paramref name="method"/> has finished and not been read yet.</summary>
    public bool HasPendingCall(string method)
    {
        var pending = new List<(string Method, object?[] Args)>();
        while (_calls.Reader.TryRead(out var call)) pending.Add(call);
        foreach (var call in pending) _calls.Writer.TryWrite(call);
        return pending.Any(c => c.Method == method);
    }

    /// <summary>The methods of every finished call not read yet, in order; they count as read.</summary>
    public IReadOnlyList<string> TakeCalls()
    {
        var methods = new List<string>();
        while (_calls.Reader.TryRead(out var call)) methods.Add(call.Method);
        return methods;
    }

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(method);
        args ??= [];
        var task = TakeFailure(method.Name)
            ? Faulted(method.ReturnType, new StorageUnavailableException("Saved research is unavailable right now: the disk is full."))
            : (Task)method.Invoke(_inner, args)!;
        // Runs inline when the task is already complete (the SQLite store's are), so the report precedes the caller's next step.
        task.ContinueWith(_ => _calls.Writer.TryWrite((method.Name, args)), TaskContinuationOptions.ExecuteSynchronously);
        return task;
    }

    private bool TakeFailure(string method)
    {
        lock (_failures)
        {
            if (!_failures.TryGetValue(method, out var left) || left <= 0) return false;
            _failures[method] = left == int.MaxValue ? left : left - 1;
            return true;
        }
    }

    private static Task Faulted(Type returnType, Exception error) => returnType.IsGenericType
        ? (Task)typeof(Task).GetMethods().Single(m => m.Name == nameof(Task.FromException) && m.IsGenericMethod)
            .MakeGenericMethod(returnType.GetGenericArguments()[0]).Invoke(null, [error])!
        : Task.FromException(error);
}
