using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Distributed;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Distributed;

/// <summary>
/// Two instances of the site (two containers of the real Core services) share one Redis and one research store: a
/// research opened on B while its cycle runs on A shows that cycle live, and only one of them ever runs it.
/// </summary>
public sealed class ResearchAcrossInstancesTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private RedisServer _redis = null!;
    private ServiceProvider _a = null!;
    private ServiceProvider _b = null!;
    private readonly string _dataDir = CoreHarness.NewDataDir();

    public async Task InitializeAsync()
    {
        _server = await FakeOpenRouterServer.StartAsync(seed: 43);
        _redis = await RedisServer.StartAsync();
        _a = Instance();
        _b = Instance();
    }

    public async Task DisposeAsync()
    {
        _server.Latency = TimeSpan.Zero;
        _server.Release();
        foreach (var instance in new[] { _a, _b })
        {
            await instance.GetRequiredService<ResearchHost>().StopAllAsync(TimeSpan.FromSeconds(5));
            await instance.DisposeAsync();
        }
        await _redis.DisposeAsync();
        await _server.DisposeAsync();
    }

    private ServiceProvider Instance() => CoreHarness.Create(_server, new Dictionary<string, string?>
    {
        ["num_hypotheses"] = "2",
        ["evolutions_per_cycle"] = "1",
        ["DATA_DIR"] = _dataDir,
        ["ConnectionStrings:Redis"] = _redis.ConnectionString,
    });

    private static ResearchHost Host(IServiceProvider instance) => instance.GetRequiredService<ResearchHost>();

    private CycleRequest Request() => new("Explain antibiotic resistance",
        _a.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings(), KeyKind.Operator, new ClientKey("ip", "browser"), "s",
        new SessionQuota(_a.GetRequiredService<IOptions<DeploymentOptions>>().Value,
            _a.GetRequiredService<IOptions<CostControlOptions>>().Value, TimeProvider.System), null);

    /// <summary>A cycle started on A, slow enough to be watched while it runs.</summary>
    private async Task<LiveResearch> RunningOnAAsync(TimeSpan latency)
    {
        _server.Latency = latency;
        var research = Host(_a).Create();
        var admitted = await Host(_a).StartCycleAsync(research, Request(), new LlmCallContext(), "owner");
        Assert.True(admitted.IsAdmitted, admitted.InputError);
        return research;
    }

    /// <summary>A cycle started on A whose calls the provider holds: it is running until the test releases them or cancels it.</summary>
    private async Task<LiveResearch> HeldOnAAsync()
    {
        _server.Hold();
        var research = await RunningOnAAsync(TimeSpan.Zero);
        await Wait.UntilAsync(() => _server.HeldRequests > 0);
        return research;
    }

    [Fact]
    public async Task AReaderOnB_SeesTheCycleRunningOnA_StepByStep_WithHypothesesAppearing_AndThenItsFinalState()
    {
        var onA = await RunningOnAAsync(TimeSpan.FromMilliseconds(150));
        var onB = await Host(_b).OpenAsync(onA.Id);
        Assert.NotNull(onB);
        Assert.True(onB.IsRunning);
        Assert.Equal("Cycle 1 is running on another server of this site; it shows here live.", onB.StatusMessage);
        var seen = new List<(ResearchStatus Status, string Steps, int Hypotheses)>();
        using var watch = onB.Subscribe(() =>
        {
            lock (seen)
                seen.Add((onB.Status, string.Join(",", onB.Steps.Select(s => $"{s.State}{s.Done}")), onB.Snapshot().Hypotheses.Count));
            return Task.CompletedTask;
        });

        await Wait.UntilAsync(() => { lock (seen) return seen.Any(s => s.Status == ResearchStatus.Running && s.Hypotheses > 0); });
        Assert.True(onA.IsRunning, "the hypotheses showed on B only after the cycle ended");
        await onA.Run;
        await Wait.UntilAsync(() => onB.Status == ResearchStatus.Completed && onB.Snapshot().Reports.Count == 1);

        lock (seen)
            Assert.True(seen.Where(s => s.Status == ResearchStatus.Running).Select(s => s.Steps).Distinct().Count() > 3,
                "B saw the steps advance");
        Assert.Equal(onA.Snapshot().Hypotheses.Select(h => h.Id).Order(), onB.Snapshot().Hypotheses.Select(h => h.Id).Order());
        Assert.Equal(onA.StatusMessage, onB.StatusMessage);
        Assert.False(onB.IsRunning);

        // Nobody on B shows it any more: B stops listening; A's page still does.
        var channel = RedisResearchRelay.Channel(onA.Id).ToString();
        Assert.Equal(2, await SubscribersAsync(channel));
        watch.Dispose();
        Host(_b).Release(onB);
        await Wait.UntilAsync(async () => await SubscribersAsync(channel) == 1, TimeSpan.FromSeconds(30));
    }

    private async Task<long> SubscribersAsync(string channel)
    {
        var reply = (StackExchange.Redis.RedisResult[])(await _a.GetRequiredService<RedisConnection>().Database.ExecuteAsync("PUBSUB", "NUMSUB", channel))!;
        return (long)reply[1];
    }

    [Fact]
    public async Task TheOwnerOnB_CannotStartOrChangeTheResearch_WhileItsCycleRunsOnA_ButCanCancelIt()
    {
        var onA = await HeldOnAAsync();
        var onB = (await Host(_b).OpenAsync(onA.Id))!;

        var start = await Host(_b).StartCycleAsync(onB, Request(), new LlmCallContext(), "owner");
        Assert.False(start.IsAdmitted);
        Assert.Equal(ResearchHost.RunningElsewhere, start.InputError);
        var directive = await Host(_b).SetDirectiveAsync(onB, "owner", "Focus on efflux pumps");
        Assert.Contains("running on another server of this site", directive);

        onB.Cancel();
        await onA.Run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CycleOutcome.Cancelled, onA.Snapshot().Reports[^1].Outcome);
        await Wait.UntilAsync(() => !onB.IsRunning && onB.Snapshot().Reports.Count == 1);
        Assert.Contains("cancelled", onB.StatusMessage);

        // Once it ended, B may run the next cycle itself.
        var next = await Host(_b).StartCycleAsync(onB, Request(), new LlmCallContext(), "owner");
        Assert.True(next.IsAdmitted, next.InputError);
        Assert.True(onB.IsRunning && !onB.RunsElsewhere);
        onB.Cancel();
        await onB.Run;
    }

    [Fact]
    public async Task AStartingInstance_LeavesACycleAnotherInstanceRuns_AndMarksOnlyThoseWhoseServerIsGone()
    {
        var onA = await HeldOnAAsync();
        var store = _b.GetRequiredService<IResearchStore>();
        var orphan = await OrphanAsync(store);
        var redis = _a.GetRequiredService<RedisConnection>();
        var lease = await redis.Database.KeyTimeToLiveAsync(RedisResearchRelay.LeaseKey(onA.Id));
        Assert.True(lease > TimeSpan.Zero, "a lease without expiry would outlive a crashed instance");

        Assert.Equal(1, await Host(_b).RecoverInterruptedAsync());

        Assert.Equal(1, (await store.GetRecordAsync(onA.Id))!.RunningCycle);
        Assert.True(onA.IsRunning);
        Assert.Null((await store.GetRecordAsync(orphan))!.RunningCycle);
        Assert.Equal(CycleOutcome.Interrupted, (await store.LoadAsync(orphan))!.Reports[^1].Outcome);
        onA.Cancel();
        await onA.Run;
    }

    [Fact]
    public async Task OpeningResearchWhoseServerDiedMidCycle_ShowsItInterrupted_NotRunningForever()
    {
        var store = _b.GetRequiredService<IResearchStore>();
        var orphan = await OrphanAsync(store);

        var opened = (await Host(_b).OpenAsync(orphan))!;

        Assert.Equal(ResearchStatus.Interrupted, opened.Status);
        Assert.False(opened.IsRunning);
        Assert.Null((await store.GetRecordAsync(orphan))!.RunningCycle);
    }

    [Fact]
    public async Task APageShowingACycleOfAServerThatThenDied_StopsShowingItRunning_WithoutBeingReopened()
    {
        var store = _b.GetRequiredService<IResearchStore>();
        var orphan = await OrphanAsync(store);
        // Its server still holds the lease when B opens it, then dies: nothing renews the lease, and no end is ever sent.
        await _b.GetRequiredService<RedisConnection>().Database.StringSetAsync(RedisResearchRelay.LeaseKey(orphan), "dying-instance", TimeSpan.FromSeconds(1));
        Host(_b).RunnerCheckPeriod = TimeSpan.FromMilliseconds(200);

        var onB = (await Host(_b).OpenAsync(orphan))!;
        Assert.True(onB.IsRunning && onB.RunsElsewhere);

        await Wait.UntilAsync(() => onB.Status == ResearchStatus.Interrupted, TimeSpan.FromSeconds(15));
        Assert.Null((await store.GetRecordAsync(orphan))!.RunningCycle);
    }

    [Fact]
    public async Task WithRedisDown_BShowsTheSavedStateAndRefusesToStart_AndIsLiveAgainWhenRedisIsBack()
    {
        var onA = await RunningOnAAsync(TimeSpan.FromMilliseconds(300));
        await Wait.UntilAsync(() => onA.Snapshot().Hypotheses.Count > 0);
        await _redis.StopAsync();

        var onB = (await Host(_b).OpenAsync(onA.Id))!;
        // Without Redis, A's next reservation fails closed, so its cycle may already have ended and saved that end; if not,
        // B shows what was saved and says why it is not live.
        if (onB.IsRunning)
            Assert.Contains("cannot be watched live right now", onB.StatusMessage);
        else
            Assert.Single(onB.Snapshot().Reports);
        Assert.NotEmpty(onB.Snapshot().Hypotheses);
        var start = await Host(_b).StartCycleAsync(onB, Request(), new LlmCallContext(), "owner");
        Assert.Equal(ResearchHost.RelayUnavailable, start.InputError);
        var fresh = await Host(_b).StartCycleAsync(Host(_b).Create(), Request(), new LlmCallContext(), "owner");
        Assert.Equal(ResearchHost.RelayUnavailable, fresh.InputError);

        await _redis.RestartAsync();
        // A's cycle ends (without Redis its calls are refused, or it finishes): B, which may have missed the news, shows the end.
        await onA.Run;
        await Wait.UntilAsync(() => !onB.IsRunning && onB.Snapshot().Reports.Count == 1);
        Assert.Equal(onA.Status, onB.Status);

        // Subscribed while Redis was down, B watches A's next cycle live.
        _server.Latency = TimeSpan.Zero;
        _server.Hold(); // A's next cycle stays running until B has shown it live
        await Wait.UntilAsync(() => _a.GetRequiredService<RedisConnection>().Multiplexer.IsConnected);
        // Both instances listen again (the held cycle sends its first news only once, at its start).
        var channel = RedisResearchRelay.Channel(onA.Id).ToString();
        await Wait.UntilAsync(async () => await SubscribersAsync(channel) == 2, TimeSpan.FromSeconds(30));
        await StartAgainOnAAsync(onA);
        await Wait.UntilAsync(() => onB.IsRunning && onB.RunningCycle == 2 && onB.StatusMessage.EndsWith("it shows here live.", StringComparison.Ordinal));
        _server.Release();
        await onA.Run;
        await Wait.UntilAsync(() => !onB.IsRunning && onB.Snapshot().Reports.Count == 2);
    }

    [Fact]
    public async Task ACycleOverBeforeItsStartWasAnnounced_GivesItsRunLeaseBack()
    {
        _server.AcceptedKeys.Clear(); // every call is refused: the cycle fails within milliseconds
        var research = Host(_a).Create();
        // The start's announcement is held until the cycle is over, as a slow publish or a slow watcher would hold it;
        // the cycle's own first save waits for that announcement, so the first watcher called is the start's.
        var announced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var save = research.Persist!;
        research.Persist = async e =>
        {
            if (e is CycleStarted) await announced.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await save(e);
        };
        var first = 0;
        using var slow = research.Subscribe(async () =>
        {
            if (Interlocked.Exchange(ref first, 1) != 0) return;
            announced.SetResult();
            // Bounded, so a product that waited on this watcher before ending the cycle fails the test instead of hanging it.
            await research.Run.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        });

        var admitted = await Host(_a).StartCycleAsync(research, Request(), new LlmCallContext(), "owner");

        Assert.True(admitted.IsAdmitted, admitted.InputError);
        await research.Run;
        Assert.Equal(ResearchStatus.Failed, research.Status);
        await Wait.UntilAsync(() => !LeaseExists(research.Id), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AStartThatFailsUnexpectedlyInAdmission_GivesItsRunLeaseBack()
    {
        var research = Host(_a).Create();

        await Assert.ThrowsAsync<NullReferenceException>(() =>
            Host(_a).StartCycleAsync(research, Request() with { Quota = null! }, new LlmCallContext(), "owner"));

        Assert.False(LeaseExists(research.Id));
        var retried = await Host(_a).StartCycleAsync(research, Request(), new LlmCallContext(), "owner");
        Assert.True(retried.IsAdmitted, retried.InputError);
        research.Cancel();
        await research.Run;
    }

    private bool LeaseExists(string id) => _a.GetRequiredService<RedisConnection>().Database.KeyExists(RedisResearchRelay.LeaseKey(id));

    [Fact]
    public async Task ARunnerWhoseLeaseAnotherInstanceTook_StopsItsCycle_SoTwoNeverRunAtOnce()
    {
        var onA = await HeldOnAAsync(); // held: it outlasts a renewal (10 s) whatever the machine's speed
        // As if A's lease had lapsed (Redis restarted empty, or A's renewals failed) and another instance claimed it.
        await _a.GetRequiredService<RedisConnection>().Database.StringSetAsync(RedisResearchRelay.LeaseKey(onA.Id), "another-instance");

        await onA.Run.WaitAsync(TimeSpan.FromSeconds(30)); // at A's next renewal, within a third of the lease time

        Assert.Equal(CycleOutcome.Cancelled, onA.Snapshot().Reports[^1].Outcome);
        Assert.Equal("another-instance", (string?)await _a.GetRequiredService<RedisConnection>().Database.StringGetAsync(RedisResearchRelay.LeaseKey(onA.Id)));
    }

    /// <summary>Starts the next cycle on A as soon as the services it shares accept it again.</summary>
    private async Task StartAgainOnAAsync(LiveResearch onA)
    {
        await Wait.UntilAsync(async () => (await Host(_a).StartCycleAsync(onA, Request(), new LlmCallContext(), "owner")).IsAdmitted,
            TimeSpan.FromSeconds(30));
    }

    /// <summary>A research saved as running by an instance that is gone: its lease lapsed, or was never there.</summary>
    private async Task<string> OrphanAsync(IResearchStore store)
    {
        var settings = _a.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings();
        var record = ResearchRecord.New("owner", "Why do cats purr", settings, DateTimeOffset.UtcNow) with { RunningCycle = 1 };
        await store.CreateAsync(record);
        return record.Id;
    }
}
