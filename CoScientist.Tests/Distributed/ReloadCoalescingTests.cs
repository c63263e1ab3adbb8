using CoScientist.Core.Research;
using CoScientist.Tests.Fakes;

namespace CoScientist.Tests.Distributed;

/// <summary>News comes at every step; reloading the research for each would hammer the store.</summary>
public sealed class ReloadCoalescingTests
{
    [Fact]
    public async Task ABurstOfNews_CostsOneReloadInFlightAndOneMore_NotOneEach()
    {
        var research = new LiveResearch("r", new ResearchState("goal"));
        var first = new TaskCompletionSource();
        var reloads = 0;
        Task Reload() => Interlocked.Increment(ref reloads) == 1 ? first.Task : Task.CompletedTask;

        for (var i = 0; i < 20; i++)
            research.RequestReload(Reload);
        await Wait.UntilAsync(() => Volatile.Read(ref reloads) >= 1);
        first.SetResult();
        await Wait.UntilAsync(() => Volatile.Read(ref reloads) >= 2);
        research.RequestReload(Reload); // a later change is reloaded too
        await Wait.UntilAsync(() => Volatile.Read(ref reloads) >= 3);
        Assert.Equal(3, Volatile.Read(ref reloads));
    }
}
