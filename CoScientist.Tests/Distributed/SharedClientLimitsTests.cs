using CoScientist.Core.Cost;
using CoScientist.Core.Distributed;
using CoScientist.Core.Llm;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CoScientist.Tests.Distributed;

/// <summary>The hourly per-visitor limit and the server's cycle slots, counted across two instances sharing one Redis and one ledger.</summary>
public sealed class SharedClientLimitsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Nine = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
    private readonly string _dataDir = CoreHarness.NewDataDir();
    private readonly ClientKey _visitor = new("ip-hash-1", "browser-hash-1");
    private FakeOpenRouterServer _server = null!;
    private RedisServer _redis = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeOpenRouterServer.StartAsync();
        _redis = await RedisServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _redis.DisposeAsync();
        await _server.DisposeAsync();
    }

    private ServiceProvider Instance(TimeProvider clock, int perHour = 2, int maxRunning = 100) => CoreHarness.Create(_server, new Dictionary<string, string?>
    {
        ["DATA_DIR"] = _dataDir,
        ["ConnectionStrings:Redis"] = _redis.ConnectionString,
        ["cost_control:max_cycles_per_client_per_hour"] = perHour.ToString(),
        ["cost_control:max_concurrent_cycles"] = maxRunning.ToString(),
    }, more: s => s.AddSingleton(clock));

    [Fact]
    public async Task AVisitorWhoUsedTheirHourOnOneInstance_IsRefusedOnTheOther_UntilTheWindowSlides()
    {
        var clock = new FakeTimeProvider(Nine);
        await using var a = Instance(clock);
        await using var b = Instance(clock);
        for (var i = 0; i < 2; i++)
        {
            var (lease, _) = a.GetRequiredService<ClientQuotas>().TryStartCycle(_visitor, KeyKind.Operator);
            lease!.Dispose();
            clock.Advance(TimeSpan.FromMinutes(10));
        }

        var (refused, block) = b.GetRequiredService<ClientQuotas>().TryStartCycle(_visitor with { IpHash = "another-network" }, KeyKind.Operator);
        Assert.Null(refused);
        Assert.Equal(LimitKind.ClientCyclesPerHour, block!.Kind);
        Assert.Contains("2/2 cycles in the last hour", block.Message);
        Assert.Equal(Nine.AddHours(1), block.ResetsAt);

        clock.Advance(TimeSpan.FromMinutes(41)); // 10:01: the 9:00 start has left the window
        var (granted, _) = b.GetRequiredService<ClientQuotas>().TryStartCycle(_visitor, KeyKind.Operator);
        Assert.NotNull(granted);
    }

    [Fact]
    public async Task RacingForTheLastSlotsFromTwoInstances_GrantsExactlyTheLimit()
    {
        var clock = new FakeTimeProvider(Nine);
        await using var a = Instance(clock, perHour: 3);
        await using var b = Instance(clock, perHour: 3);
        var quotas = new[] { a.GetRequiredService<ClientQuotas>(), b.GetRequiredService<ClientQuotas>() };

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => quotas[i % 2].TryStartCycle(_visitor, KeyKind.Operator))));

        Assert.Equal(3, results.Count(r => r.Lease is not null));
        Assert.All(results.Where(r => r.Lease is null), r => Assert.Equal(LimitKind.ClientCyclesPerHour, r.Block!.Kind));
    }

    [Fact]
    public async Task AStartGivenBackOnOneInstance_IsFreeOnTheOther_AndTheLedgerSeedsAnEmptiedRedis()
    {
        var clock = new FakeTimeProvider(Nine);
        await using var a = Instance(clock, perHour: 1);
        await using var b = Instance(clock, perHour: 1);
        a.GetRequiredService<ClientQuotas>().TryStartCycle(_visitor, KeyKind.Operator).Lease!.Dispose();
        a.GetRequiredService<ClientQuotas>().ReturnCycle(_visitor, KeyKind.Operator);
        var (again, _) = b.GetRequiredService<ClientQuotas>().TryStartCycle(_visitor, KeyKind.Operator);
        again!.Dispose();

        await _redis.StopAsync();
        await _redis.RestartAsync();
        await RedisServer.UntilReachableAsync(a.GetRequiredService<RedisConnection>());

        var (lease, block) = a.GetRequiredService<ClientQuotas>().TryStartCycle(_visitor, KeyKind.Operator);
        Assert.Null(lease);
        Assert.Equal(LimitKind.ClientCyclesPerHour, block!.Kind);
    }

    [Fact]
    public async Task TheServersCycleSlots_CountBothInstances_AndADeadInstancesSlotExpires()
    {
        var clockA = new FakeTimeProvider(Nine);
        var clockB = new FakeTimeProvider(Nine);
        await using var a = Instance(clockA, maxRunning: 2);
        await using var b = Instance(clockB, maxRunning: 2);
        var onA = a.GetRequiredService<ClientQuotas>();
        var onB = b.GetRequiredService<ClientQuotas>();

        var first = onA.TryStartCycle(_visitor, KeyKind.Visitor).Lease!;
        var second = onB.TryStartCycle(_visitor, KeyKind.Visitor).Lease!;
        var (third, busy) = onB.TryStartCycle(_visitor, KeyKind.Visitor);
        Assert.Null(third);
        Assert.Equal(LimitKind.ConcurrentCycles, busy!.Kind);
        Assert.Equal(2, onA.RunningCycles);

        second.Dispose();
        Assert.Equal(1, onA.RunningCycles);

        // Both clocks move on: A is alive and renews its slot, so it still counts.
        for (var i = 0; i < 6; i++)
        {
            clockA.Advance(TimeSpan.FromSeconds(20));
            clockB.Advance(TimeSpan.FromSeconds(20));
        }
        Assert.Equal(1, onB.RunningCycles);

        // A dies (its clock, and with it its renewals, stops): its slot expires for B.
        clockB.Advance(RedisClientLimits.LeaseTime + TimeSpan.FromSeconds(1));
        Assert.Equal(0, onB.RunningCycles);
        Assert.NotNull(onB.TryStartCycle(_visitor, KeyKind.Visitor).Lease);
        Assert.NotNull(onB.TryStartCycle(_visitor, KeyKind.Visitor).Lease);
        first.Dispose();
    }

    [Fact]
    public async Task ARenewalRunningAsItsCycleEnds_DoesNotBringTheSlotBack()
    {
        await using var a = Instance(new FakeTimeProvider(Nine));
        var limits = a.GetRequiredService<RedisClientLimits>();
        limits.TryClaim(_visitor.IpHash, _visitor.BrowserHash, maxRunning: 10, hourlyLimit: null, leaseId: "lease-1");
        Assert.Equal(1, limits.Running());

        limits.Release("lease-1");
        limits.Renew("lease-1"); // the renewal timer's callback was already running

        Assert.Equal(0, limits.Running());
    }
}
