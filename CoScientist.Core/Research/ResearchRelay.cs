using CoScientist.Core.Cost;

namespace CoScientist.Core.Research;

/// <summary>What taking a research's run lease came to.</summary>
public enum RunLease { Claimed, HeldElsewhere, Unavailable }

public enum NewsKind { Progress, Cancel }

/// <summary>
/// What the watchers of a research see, as one instance tells the others: the status and the live step list in full
/// (so a lost or reordered message is made good by the next one) and whether saved content changed, which the
/// others reload from the store. <see cref="From"/> and <see cref="Seq"/> are stamped by the relay.
/// </summary>
public sealed record ResearchNews
{
    public NewsKind Kind { get; init; }
    public string From { get; init; } = "";
    public long Seq { get; init; }
    public ResearchStatus Status { get; init; }
    public string StatusMessage { get; init; } = "";
    public string? StoppedByLimit { get; init; }
    public int? RunningCycle { get; init; }
    public decimal RunningCost { get; init; }
    public decimal? LastActualCost { get; init; }
    public CycleEstimate? LastEstimate { get; init; }
    public ResearchSettings? LastSettings { get; init; }
    public IReadOnlyList<StepView> Steps { get; init; } = [];
    public IReadOnlyList<ItemFailure> Failures { get; init; } = [];
    public bool ContentChanged { get; init; }
}

/// <summary>
/// How the instances of one site share live research: one runner per research (a lease), the runner's news to
/// everyone else holding it, and commands (cancel) back to the runner. A single instance needs none of it
/// (<see cref="LocalResearchRelay"/>); several share Redis (<c>Distributed.RedisResearchRelay</c>).
/// </summary>
public interface IResearchRelay
{
    /// <summary>False on a single instance: nothing runs elsewhere, and nothing is checked or published.</summary>
    bool IsShared { get; }
    string InstanceId { get; }
    /// <summary>Takes the research's run lease for this instance and keeps it alive until <see cref="ReleaseRunAsync"/>.</summary>
    Task<RunLease> ClaimRunAsync(string researchId);
    Task ReleaseRunAsync(string researchId);
    /// <summary>Whether any instance holds the run lease; null when that cannot be known now.</summary>
    Task<bool?> IsRunLeasedAsync(string researchId);
    /// <summary>Tells the other instances; a failure is logged, never thrown (the news is also in the store).</summary>
    Task PublishAsync(string researchId, ResearchNews news);
    /// <summary>Calls <paramref name="onNews"/> (concurrently, from any thread) with the other instances' news until disposed; never throws.</summary>
    Task<IAsyncDisposable> ListenAsync(string researchId, Func<ResearchNews, Task> onNews);
    /// <summary>Raised when the connection between instances is back after a loss: news may have been missed meanwhile.</summary>
    event Action? Reconnected;
    /// <summary>Raised (with the research id) when another instance took a lease this one held: this one stops renewing it.</summary>
    event Action<string>? LeaseLost;
}

/// <summary>One instance: every lease is this instance's, and there is nobody to tell.</summary>
public sealed class LocalResearchRelay : IResearchRelay
{
    public bool IsShared => false;
    public string InstanceId => "local";
    public Task<RunLease> ClaimRunAsync(string researchId) => Task.FromResult(RunLease.Claimed);
    public Task ReleaseRunAsync(string researchId) => Task.CompletedTask;
    public Task<bool?> IsRunLeasedAsync(string researchId) => Task.FromResult<bool?>(false);
    public Task PublishAsync(string researchId, ResearchNews news) => Task.CompletedTask;
    public Task<IAsyncDisposable> ListenAsync(string researchId, Func<ResearchNews, Task> onNews) => Task.FromResult<IAsyncDisposable>(Nothing.Instance);
    public event Action? Reconnected { add { } remove { } }
    public event Action<string>? LeaseLost { add { } remove { } }

    private sealed class Nothing : IAsyncDisposable
    {
        public static readonly Nothing Instance = new();
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
