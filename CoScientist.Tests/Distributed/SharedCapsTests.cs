using Microsoft.Extensions.AI;
using System.Collections.Concurrent;
using CoScientist.Core.Cost;
using CoScientist.Core.Distributed;
using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace CoScientist.Tests.Distributed;

/// <summary>
/// Two instances of the app (two service containers) sharing one Redis and one ledger: the caps, the kill switch and
/// the client limits hold for both together, and nothing is spent while Redis is down.
/// </summary>
public sealed class SharedCapsTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private RedisServer _redis = null!;
    private readonly string _dataDir = CoreHarness.NewDataDir();

    public async Task InitializeAsync()
    {
        _server = await FakeOpenRouterServer.StartAsync(seed: 21);
        _redis = await RedisServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _redis.DisposeAsync();
        await _server.DisposeAsync();
    }

    private ServiceProvider Instance(decimal dailyCap = 10m, int perHour = 100, int maxRunning = 100, TimeProvider? clock = null) =>
        CoreHarness.Create(_server, new Dictionary<string, string?>
        {
            ["DATA_DIR"] = _dataDir,
            ["ConnectionStrings:Redis"] = _redis.ConnectionString,
            ["cost_control:daily_spending_limit_usd"] = dailyCap.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["cost_control:max_cycles_per_client_per_hour"] = perHour.ToString(),
            ["cost_control:max_concurrent_cycles"] = maxRunning.ToString(),
        }, more: s =>
        {
            if (clock is not null) s.AddSingleton(clock);
        });

    private static CallReservation Call(decimal worst) =>
        new(DateTimeOffset.UtcNow, "session", "client", "google/gemini-2.5-flash", null, KeyKind.Operator, worst);

    private static LlmUsage Cost(decimal usd) => new("google/gemini-2.5-flash", null, 100, 100, usd, null, Succeeded: true);

    [Fact]
    public async Task DailyCap_IsNeverExceeded_By100ConcurrentCallsOnTwoInstances()
    {
        const decimal cap = 0.05m, worst = 0.002m;
        await using var a = Instance(cap);
        await using var b = Instance(cap);
        var guards = new[] { a.GetRequiredService<SpendGuard>(), b.GetRequiredService<SpendGuard>() };
        var charged = new ConcurrentBag<decimal>();
        var refusals = new ConcurrentBag<string>();

        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(async () =>
        {
            var guard = guards[i % 2];
            var random = new Random(i);
            while (true)
            {
                SpendReservation reservation;
                try
                {
                    reservation = await guard.ReserveAsync(Call(worst), CancellationToken.None);
                }
                catch (LlmException ex) when (ex.Kind == LlmErrorKind.LimitReached)
                {
                    refusals.Add(ex.Message);
                    return;
                }
                await Task.Delay(random.Next(1, 5));
                var actual = Math.Round(worst * (decimal)(0.3 + 0.7 * random.NextDouble()), 6);
                charged.Add(actual);
                await guard.SettleAsync(reservation, Cost(actual), error: null);
            }
        })));

        var total = charged.Sum();
        Assert.True(total <= cap, $"${total} was charged against a ${cap} cap");
        Assert.True(total > cap - worst, $"the cap was left unused (${total} of ${cap})");
        Assert.All(refusals, m => Assert.Contains("daily spending limit", m));
        Assert.Equal(total, guards[0].Totals().Today, 6);
        Assert.Equal(total, guards[1].Totals().Today, 6);
    }

    [Fact]
    public async Task TheAdminPageOfEitherInstance_ShowsTheSpendOfBoth()
    {
        await using var a = Instance();
        await using var b = Instance();
        var onA = a.GetRequiredService<SpendGuard>();
        var onB = b.GetRequiredService<SpendGuard>();

        await onA.SettleAsync(await onA.ReserveAsync(Call(0.01m), CancellationToken.None), Cost(0.004m), error: null);
        var inFlight = await onB.ReserveAsync(Call(0.02m), CancellationToken.None);

        Assert.Equal(0.024m, onA.Totals().Today);
        Assert.Equal(0.024m, onB.Sources().LedgerToday);
        await onB.SettleAsync(inFlight, Cost(0.001m), error: null);
        Assert.Equal(0.005m, onA.Totals().Today);
    }

    [Fact]
    public async Task TheKillSwitchSetOnOneInstance_RefusesTheNextCallOnTheOther_AndOutlivesARedisRestart()
    {
        await using var a = Instance();
        await using var b = Instance();
        await b.GetRequiredService<SpendGuard>().ReserveAsync(Call(0.001m), CancellationToken.None);

        a.GetRequiredService<SpendGuard>().SetPaused(true);

        var refused = await Assert.ThrowsAsync<LlmException>(() => b.GetRequiredService<SpendGuard>().ReserveAsync(Call(0.001m), CancellationToken.None));
        Assert.Equal(LimitKind.Paused, refused.Block?.Kind);
        Assert.True(b.GetRequiredService<SpendGuard>().Paused);

        await _redis.StopAsync();
        await _redis.RestartAsync();
        await RedisServer.UntilReachableAsync(b.GetRequiredService<RedisConnection>());
        var afterRestart = await Assert.ThrowsAsync<LlmException>(() => b.GetRequiredService<SpendGuard>().ReserveAsync(Call(0.001m), CancellationToken.None));
        Assert.Equal(LimitKind.Paused, afterRestart.Block?.Kind);
    }

    [Fact]
    public async Task WhileRedisIsDown_NoCallIsMade_AndAfterAnEmptyRestart_TheDaysSpendIsBackFromTheLedger()
    {
        await using var a = Instance();
        var guard = a.GetRequiredService<SpendGuard>();
        var llm = a.GetRequiredService<IChatClient>();
        var request = new LlmRequest { Model = "google/gemini-2.5-flash", SystemPrompt = "You are terse.", UserPrompt = "Say hello.", MaxOutputTokens = 50 };
        await llm.CompleteAsync(request, CancellationToken.None);
        var inFlight = await guard.ReserveAsync(Call(0.003m), CancellationToken.None); // its instance "crashes" mid-call
        var calls = _server.Requests.Count;

        await _redis.StopAsync();
        var refused = await Assert.ThrowsAsync<LlmException>(() => llm.CompleteAsync(request, CancellationToken.None));
        Assert.Equal(LlmErrorKind.StorageUnavailable, refused.Kind);
        Assert.Contains("shared budget store is temporarily unavailable", refused.Message);
        Assert.Equal(calls, _server.Requests.Count);
        Assert.Equal(LimitKind.StorageUnavailable, a.GetRequiredService<CycleAdmission>().StorageBlock()?.Kind);
        var (lease, block) = a.GetRequiredService<ClientQuotas>().TryStartCycle(new ClientKey("ip", "browser"), KeyKind.Visitor);
        Assert.Null(lease);
        Assert.Contains("shared budget store", block!.Message);

        await _redis.RestartAsync();
        await RedisServer.UntilReachableAsync(a.GetRequiredService<RedisConnection>());
        await llm.CompleteAsync(request, CancellationToken.None);

        var ledger = a.GetRequiredService<SpendLedger>().OperatorSpendSince(new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero));
        Assert.True(_server.TotalCharged + 0.003m <= ledger + 0.000001m, $"the ledger has ${ledger}, OpenRouter charged ${_server.TotalCharged} besides the open $0.003");
        Assert.True(guard.Totals().Today >= ledger, $"the shared total ${guard.Totals().Today} is below the ledger's ${ledger}");
        Assert.Null(a.GetRequiredService<CycleAdmission>().StorageBlock());
        await guard.SettleAsync(inFlight, Cost(0.001m), error: null); // seeded at its worst case: it stays counted so
        Assert.True(guard.Totals().Today >= ledger);
    }

    [Fact]
    public async Task TheKillSwitch_WhenRedisCannotBeReached_TellsTheOperatorToTryAgain_InsteadOfWaitingSilently()
    {
        await using var a = Instance();
        var guard = a.GetRequiredService<SpendGuard>();
        await guard.ReserveAsync(Call(0.001m), CancellationToken.None);

        await _redis.StopAsync();
        var failed = Assert.Throws<KillSwitchNotSharedException>(() => guard.SetPaused(true));

        Assert.Contains("could not reach the other instances", failed.Message);
        Assert.True(guard.Paused); // this instance obeys its ledger meanwhile
    }

    [Fact]
    public async Task AReplayedReleaseOrReconciliation_CountsOnce()
    {
        await using var a = Instance();
        var guard = a.GetRequiredService<SpendGuard>();
        var counters = a.GetRequiredService<RedisSpendCounters>();
        var r = await guard.ReserveAsync(Call(0.01m), CancellationToken.None);

        for (var i = 0; i < 2; i++) // the first reply was lost: the same release is sent again
            counters.Release(r.Day, r.Month, r.SharedField!, 0.015m, 0.01m);
        Assert.Equal(0.015m, guard.Totals().Today);

        for (var i = 0; i < 2; i++)
            counters.Adjust(r.Day, r.Month, r.SharedField!, r.DayEpoch, r.MonthEpoch, 0.002m);
        Assert.Equal(0.017m, guard.Totals().Today);
    }

    [Theory]
    [InlineData("READONLY You can't write against a read only replica.")]
    [InlineData("MASTERDOWN Link with MASTER is down")]
    [InlineData("BUSY Redis is busy running a script.")]
    [InlineData("LOADING Redis is loading the dataset in memory")]
    [InlineData("OOM command not allowed when used memory > 'maxmemory'.")]
    [InlineData("TRYAGAIN Multiple keys request during rehashing of slot")]
    [InlineData("CLUSTERDOWN The cluster is down")]
    public void RedisErrorsThatMeanItCannotServeNow_FailClosedLikeAnOutage(string error)
    {
        Assert.True(RedisConnection.IsFailure(new StackExchange.Redis.RedisServerException(error)));
        Assert.False(RedisConnection.IsFailure(new StackExchange.Redis.RedisServerException("ERR unknown command")));
    }
}
