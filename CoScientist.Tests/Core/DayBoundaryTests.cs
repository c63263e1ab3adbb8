using CoScientist.Core.Agents.Supervisor;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Admin;
using CoScientist.Web.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CoScientist.Tests.Core;

/// <summary>
/// A call counts on the UTC day and month its ledger row is stamped with: the moment its reservation was granted,
/// just before it was sent. One that settles after midnight still counts on the day it was made, in the caps, in
/// the ledger and on the admin page alike; calls made after midnight count on the new day, whose cap starts empty.
/// </summary>
public sealed class DayBoundaryTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero)); // each test sets its moment

    public async Task InitializeAsync() => _server = await FakeOpenRouterServer.StartAsync(seed: 31);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ServiceProvider Services(decimal dailyCap = 100m, decimal monthlyCap = 1000m) => CoreHarness.Create(_server, new Dictionary<string, string?>
    {
        ["cost_control:daily_spending_limit_usd"] = dailyCap.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["cost_control:monthly_spending_limit_usd"] = monthlyCap.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["num_hypotheses"] = "3",
    }, more: s =>
    {
        s.AddCoScientistSessions();
        s.AddSingleton<TimeProvider>(_clock);
    });

    private static DateTimeOffset Utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) =>
        new(year, month, day, hour, minute, second, TimeSpan.Zero);

    private static CallReservation Call(DateTimeOffset at, decimal worst) =>
        new(at, "boundary-session", "client", "google/gemini-2.5-flash", "Generation", KeyKind.Operator, worst);

    private static LlmUsage Usage(decimal cost) => new("google/gemini-2.5-flash", CycleStep.Generation, 100, 100, cost, "gen-x", true);

    /// <summary>Spend an earlier run left in the ledger, written before the guard first reads it (as after a restart).</summary>
    private static void Spent(SpendLedger ledger, DateTimeOffset at, decimal usd)
    {
        var id = ledger.Reserve(Call(at, usd));
        ledger.Settle(id, CallStatus.Settled, usd, 100, 100, null, null);
    }

    [Fact]
    public async Task ACycleAcrossMidnight_CountsEarlierCallsOnDayOne_AndLaterOnesOnDayTwo_InTheCapsTheLedgerAndTheAdminPage()
    {
        _clock.SetUtcNow(Utc(2027, 1, 31, 23, 59, 58));
        await using var services = Services();
        var settings = services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings();
        var supervisor = services.GetRequiredService<CycleSupervisor>();
        // Midnight strikes once the cycle has sent its first calls; calls still in flight then settle on day two.
        var midnight = Task.Run(async () =>
        {
            await Wait.UntilAsync(() => _server.Requests.Count >= 2, TimeSpan.FromSeconds(60));
            _clock.Advance(TimeSpan.FromSeconds(3)); // 2027-02-01 00:00:01
        });
        CycleReport? report = null;
        await foreach (var e in supervisor.RunCycleAsync(new ResearchState("Why do some bacteria resist antibiotics faster?"), settings, new LlmCallContext()))
            if (e is CycleCompleted done) report = done.Report;
        await midnight;

        Assert.NotNull(report);
        var ledger = services.GetRequiredService<SpendLedger>();
        var dayTwo = Utc(2027, 2, 1);
        var byHour = ledger.SpendByHour(Utc(2027, 1, 31));
        var dayOneSum = byHour.Where(h => h.Hour < dayTwo).Sum(h => h.CostUsd);
        var dayTwoSum = byHour.Where(h => h.Hour >= dayTwo).Sum(h => h.CostUsd);
        Assert.True(dayOneSum > 0, "no call was counted on the day the cycle started");
        Assert.True(dayTwoSum > 0, "no call was counted on the day after midnight");
        Assert.Equal(_server.TotalCharged, dayOneSum + dayTwoSum, 6);
        Assert.Equal(dayTwoSum, ledger.OperatorSpendSince(dayTwo), 6);

        var (today, month) = services.GetRequiredService<SpendGuard>().Totals();
        Assert.Equal(dayTwoSum, today, 6);
        Assert.Equal(dayTwoSum, month, 6); // February began at midnight too

        var admin = await services.GetRequiredService<AdminDashboard>().BuildAsync();
        Assert.Equal(dayTwoSum, admin.SpendToday, 6);
        Assert.Equal(dayTwoSum, admin.Sources.LedgerToday, 6);
    }

    [Fact]
    public async Task TheDailyCap_ReachedBeforeMidnight_RefusesCalls_UntilMidnight_ThenAllowsThem()
    {
        _clock.SetUtcNow(Utc(2027, 1, 30, 23, 59, 0));
        await using var services = Services(dailyCap: 1.00m);
        Spent(services.GetRequiredService<SpendLedger>(), Utc(2027, 1, 30, 23, 30), 0.99m);
        var guard = services.GetRequiredService<SpendGuard>();

        var refused = await Assert.ThrowsAsync<LlmException>(() => guard.ReserveAsync(Call(_clock.GetUtcNow(), 0.05m), CancellationToken.None));
        Assert.Equal(LimitKind.DailySpend, refused.Block?.Kind);
        Assert.Equal(Utc(2027, 1, 31), refused.Block?.ResetsAt);

        _clock.SetUtcNow(Utc(2027, 1, 31, 0, 0, 1));
        var held = await guard.ReserveAsync(Call(_clock.GetUtcNow(), 0.05m), CancellationToken.None); // the first look after midnight
        Assert.Null(guard.CurrentBlock());
        await guard.SettleAsync(held, Usage(0.01m), error: null);

        var (today, month) = guard.Totals();
        Assert.Equal(0.01m, today);
        Assert.Equal(1.00m, month); // the month goes on
    }

    [Fact]
    public async Task TheMonthlyCap_HoldsAcrossAMidnightInsideTheMonth_AndResetsOnTheFirst()
    {
        _clock.SetUtcNow(Utc(2027, 1, 30, 23, 59, 59));
        await using var services = Services(dailyCap: 5.00m, monthlyCap: 5.00m);
        Spent(services.GetRequiredService<SpendLedger>(), Utc(2027, 1, 15, 12), 4.99m);
        var guard = services.GetRequiredService<SpendGuard>();
        Assert.Equal(LimitKind.MonthlySpend, guard.CurrentBlock(0.05m)?.Kind);

        _clock.SetUtcNow(Utc(2027, 1, 31, 0, 0, 1)); // a new day, the same month
        var refused = await Assert.ThrowsAsync<LlmException>(() => guard.ReserveAsync(Call(_clock.GetUtcNow(), 0.05m), CancellationToken.None));
        Assert.Equal(LimitKind.MonthlySpend, refused.Block?.Kind);
        Assert.Equal(Utc(2027, 2, 1), refused.Block?.ResetsAt);

        _clock.SetUtcNow(Utc(2027, 2, 1, 0, 0, 1));
        Assert.Null(guard.CurrentBlock(0.05m));
        var held = await guard.ReserveAsync(Call(_clock.GetUtcNow(), 0.05m), CancellationToken.None);
        await guard.SettleAsync(held, Usage(0.02m), error: null);
        Assert.Equal((0.02m, 0.02m), guard.Totals());
    }

    [Fact]
    public async Task ACallInFlightAtTheEndOfJanuary_CountsInJanuary_AndFebruaryStartsEmpty()
    {
        _clock.SetUtcNow(Utc(2027, 1, 31, 23, 59, 59));
        await using var services = Services(dailyCap: 5.00m, monthlyCap: 5.00m);
        Spent(services.GetRequiredService<SpendLedger>(), Utc(2027, 1, 10), 4.00m);
        var guard = services.GetRequiredService<SpendGuard>();
        var late = await guard.ReserveAsync(Call(_clock.GetUtcNow(), 0.50m), CancellationToken.None);

        _clock.SetUtcNow(Utc(2027, 2, 1, 0, 0, 2));
        await guard.SettleAsync(late, Usage(0.30m), error: null);

        Assert.Equal((0m, 0m), guard.Totals());
        var ledger = services.GetRequiredService<SpendLedger>();
        Assert.Equal(4.30m, ledger.OperatorSpendSince(Utc(2027, 1, 1)), 6);
        Assert.Equal(0m, ledger.OperatorSpendSince(Utc(2027, 2, 1)));
    }

    [Fact]
    public async Task ACallInFlightAcrossMidnight_DoesNotRefuseANewCallForGood_ThatFitsOnceItSettles()
    {
        // Monthly room: 1.00 left. In flight at midnight: worst 0.60 (it will cost 0.10). A new call worst 0.60
        // does not fit beside the worst case but fits beside the real cost, so it must wait, not be refused.
        _clock.SetUtcNow(Utc(2027, 1, 30, 23, 59, 59));
        await using var services = Services(dailyCap: 5.00m, monthlyCap: 5.00m);
        Spent(services.GetRequiredService<SpendLedger>(), Utc(2027, 1, 10), 4.00m);
        var guard = services.GetRequiredService<SpendGuard>();
        var inFlight = await guard.ReserveAsync(Call(_clock.GetUtcNow(), 0.60m), CancellationToken.None);

        _clock.SetUtcNow(Utc(2027, 1, 31, 0, 0, 1));
        var next = guard.ReserveAsync(Call(_clock.GetUtcNow(), 0.60m), CancellationToken.None);
        Assert.False(next.IsCompleted, "the new call was decided before the call in flight settled");
        await guard.SettleAsync(inFlight, Usage(0.10m), error: null);
        var held = await next.WaitAsync(TimeSpan.FromSeconds(30));
        await guard.SettleAsync(held, Usage(0.10m), error: null);

        Assert.Equal((0.10m, 4.20m), guard.Totals());
    }
}
